package dev.skiff.server.store;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;

/**
 * The replicas of a control plane that share one database, and the leases by which each of them
 * owns apps. Only a store that several servers can share has one ({@link Store#leases()}).
 *
 * <p>Every time here is the database's clock, so that replicas whose clocks differ still agree on
 * when a lease lapsed. A lease is held until its expiry; a replica renews the leases it holds well
 * within their length. Each new owner of an app gets a new <em>epoch</em>, a number larger than any
 * epoch before it (of any app); a write that depends on owning an app carries the epochs its
 * replica holds and is refused once the app has another (see {@link
 * dev.skiff.server.store.jdbc.Fence}). Thread-safe.
 */
public interface LeaseStore {
  /**
   * A replica as its heartbeats show it.
   *
   * @param id its id
   * @param address where its API listens ({@code host:port}), for clients and other replicas
   * @param webAddress where its web gateway listens ({@code host:port})
   * @param certificate its TLS certificate (PEM), if it serves TLS
   * @param startedAtMs when it started (epoch millis)
   * @param heartbeatAgeMs how long ago its last heartbeat was
   */
  record Replica(
      String id,
      String address,
      String webAddress,
      Optional<String> certificate,
      long startedAtMs,
      long heartbeatAgeMs) {}

  /**
   * The lease of one app.
   *
   * @param app the app's key: a deployed app's name, or {@code #} and the id of an ephemeral app
   * @param owner the replica that holds it, or held it last
   * @param epoch the epoch of its current owner
   * @param expiresInMs how long until it lapses (negative: lapsed that long ago)
   * @param heldForMs how long its owner has held it
   * @param reason why its owner took it
   * @param appId the id of the app its owner runs under this lease, once it runs
   */
  record Lease(
      String app,
      Optional<String> owner,
      long epoch,
      long expiresInMs,
      long heldForMs,
      String reason,
      Optional<String> appId) {
    /** Whether it lapsed or was released: anyone may take it. */
    public boolean free() {
      return owner.isEmpty() || expiresInMs < 0;
    }

    /** Whether its owner gave it up (rather than let it lapse). */
    public boolean released() {
      return reason.equals(RELEASED);
    }
  }

  /** The reason of a lease whose owner released it. */
  String RELEASED = "released";

  /**
   * Makes every write of the store that depends on owning an app go on only while the app's lease
   * carries the epoch that {@code held} gives for it (this replica's), and refuses it otherwise.
   */
  void fenceWritesBy(Function<String, OptionalLong> held);

  /** Records a heartbeat of {@code replica} (adding it on the first), now. */
  void heartbeat(Replica replica);

  /** Forgets a replica that stops (its leases are released first by {@link #releaseAll}). */
  void removeReplica(String id);

  /** Every replica, by id. */
  List<Replica> replicas();

  /** Every lease, by app. */
  List<Lease> leases();

  /** The lease of one app, if it has one. */
  Optional<Lease> lease(String app);

  /**
   * Takes the lease of {@code app} for {@code replica} if nobody holds it: it has no lease yet,
   * lapsed, or was released. A new epoch comes with it.
   *
   * @return the new epoch, or empty if another replica holds it
   */
  OptionalLong claim(String app, String replica, Duration length, String reason);

  /**
   * Extends the leases that {@code replica} holds under these epochs to {@code length} from now.
   *
   * @return the epochs still held (the others were taken by another replica, or deleted)
   */
  Set<Long> renew(String replica, Set<Long> epochs, Duration length);

  /**
   * Records the id of the app that runs under the lease of {@code app} held under {@code epoch}.
   */
  void running(String app, long epoch, String appId);

  /**
   * Takes back, under new epochs, the leases of deployed apps that {@code replica} held before it
   * restarted (its data directory's lock makes it the only process of that id), and forgets its
   * ephemeral apps' leases (those apps died with it).
   *
   * @return the epoch of each app taken back
   */
  Map<String, Long> adopt(String replica, Duration length);

  /**
   * Releases one lease held under {@code epoch}, so that another replica may take it at once; its
   * reason becomes {@link #RELEASED}.
   */
  void release(String app, long epoch);

  /** Releases every lease of {@code replica} (it stops). */
  void releaseAll(String replica);

  /** Deletes the lease of {@code app} held under {@code epoch} (the app is gone). */
  void delete(String app, long epoch);

  /** Deletes the leases of ephemeral apps ({@code #} keys) that lapsed: their owner died. */
  int deleteLapsedEphemeral();
}
