package dev.skiff.server.store;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Deployed apps' log lines, by app name, in the order they were appended. A line is kept encoded
 * (the store does not read it) together with the container that wrote it. Thread-safe.
 */
public interface LogStore {
  /**
   * Appends one encoded line that {@code containerId} wrote, soon and without waiting: lines never
   * delay the store's other writes.
   *
   * @return completes with true once durable, or at once with false if the line was dropped because
   *     too many lines wait to be written
   */
  CompletableFuture<Boolean> append(String appName, String containerId, byte[] line);

  /**
   * Deletes all but the newest {@code keep} (at least 0) lines of an app, soon and without waiting.
   *
   * @return completes with true once durable, or at once with false if the prune was dropped
   *     because too many writes of lines wait
   */
  CompletableFuture<Boolean> prune(String appName, int keep);

  /** The newest {@code limit} (at least 0) lines of an app, oldest first. */
  List<byte[]> newest(String appName, int limit);

  /** The app whose kept lines include one of this container's, if any. */
  Optional<String> appOfContainer(String containerId);
}
