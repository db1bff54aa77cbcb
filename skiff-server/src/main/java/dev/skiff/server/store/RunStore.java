package dev.skiff.server.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** The scheduled runs of deployed apps' functions, by run id. Thread-safe. */
public interface RunStore {
  /**
   * Adds the start of a run (without an end). Completes once durable; completes exceptionally if a
   * run with the same id is stored already.
   */
  CompletableFuture<Void> add(StoredRun run);

  /**
   * Gives a stored run its end and result (a later end replaces an earlier one); a run that is not
   * stored is left alone. Completes once durable.
   */
  CompletableFuture<Void> finish(String id, Instant at, byte[] result);

  /**
   * Gives every run without an end this end and result (after a restart: runs that a server which
   * died left unfinished). Completes once durable.
   *
   * @return how many runs were ended
   */
  int finishUnfinished(Instant at, byte[] result);

  /**
   * Gives every run of {@code appName} without an end this end and result (a replica that takes the
   * app over: runs that its previous owner left unfinished). Completes once durable.
   *
   * @return how many runs were ended
   */
  int finishUnfinished(String appName, Instant at, byte[] result);

  /**
   * The newest {@code limit} (at least 0) runs of an app, oldest first: by start, and runs that
   * started at the same instant in the order they were added.
   */
  List<StoredRun> latest(String appName, int limit);

  /** The latest tick that a run of this function was stored for, finished or not, if any. */
  Optional<Instant> lastTick(String appName, String function);

  /**
   * Deletes the finished runs that started before {@code before}; unfinished runs are never
   * deleted. Returns once done.
   *
   * @return how many runs were deleted
   */
  int sweep(Instant before);
}
