package dev.skiff.server.store;

import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * What a control plane keeps beyond one request: its repositories, one per concern. The server
 * keeps them in a database in its data directory ({@link
 * dev.skiff.server.store.sqlite.SqliteStore}) so that they survive a restart; an embedded control
 * plane keeps them in memory for its lifetime ({@link InMemoryStore}).
 *
 * <p>Every repository is thread-safe. A write returns a future that completes once the write is
 * durable (committed, for a database) and completes exceptionally if it failed; callers that need
 * it durable before they answer wait for it, the others let it go. Reads see every write whose
 * future has completed. A store keeps the byte arrays it is given and hands out the ones it keeps:
 * nobody changes an array after giving it to a store or getting it from one.
 */
public interface Store extends AutoCloseable {
  /** Spawned calls and their results. */
  CallStore calls();

  /** Deployed apps. */
  DeploymentStore deployments();

  /** Scheduled runs of deployed apps. */
  RunStore runs();

  /** Deployed apps' log lines. */
  LogStore logs();

  /** The API token and the web tokens. */
  TokenStore tokens();

  /**
   * The replicas sharing this store and their apps' leases, if several servers can share it (a
   * database server); empty for a store of one server.
   */
  default Optional<LeaseStore> leases() {
    return Optional.empty();
  }

  /**
   * The jars, blobs and image recipes that every control plane on this store can read: {@link
   * SharedBytes#none()} (the default) for a store that one control plane has to itself.
   */
  default SharedBytes sharedBytes() {
    return SharedBytes.none();
  }

  /**
   * From now on, tells {@code committed} how long each commit of a batch of writes took, in
   * nanoseconds (the store commit latency metric); it is called on the store's writer thread and
   * must not block. The default, for a store without commits (memory): it is never called.
   */
  default void observeCommits(LongConsumer committed) {}

  /**
   * Answers a trivial query, to show that the store is reachable (the server's readiness); returns
   * once it has. The default, for a store in memory: returns at once.
   *
   * @throws RuntimeException naming the failure if the store could not answer
   */
  default void check() {}

  /**
   * Lets writes already accepted complete, then releases what the store holds. What a write after
   * closing does is the implementation's: the database fails it, the in-memory store drops it.
   */
  @Override
  void close();
}
