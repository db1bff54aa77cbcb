package dev.skiff.server.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Spawned calls and their results, by call id. Thread-safe. */
public interface CallStore {
  /**
   * Adds a new call (without a result). Completes once it is durable; completes exceptionally if a
   * call with the same id is stored already (the stored one is left as it was).
   */
  CompletableFuture<Void> add(StoredCall call);

  /**
   * Gives a stored call its result and finish time, and forgets its arguments (they are not needed
   * any more), unless it has a result already: the first result wins, so a call has exactly one
   * stored result. A call that is not stored is left alone. Completes once durable.
   */
  CompletableFuture<Void> finish(String id, byte[] result, Instant at);

  /** The call with this id, if stored. */
  Optional<StoredCall> find(String id);

  /** The calls without a result, oldest ({@link StoredCall#createdAt()}) first. */
  List<StoredCall> unfinished();

  /**
   * Deletes the calls that finished before {@code before}; unfinished calls are never deleted.
   * Returns once done.
   *
   * @return how many calls were deleted
   */
  int sweep(Instant before);

  /**
   * A call store that keeps nothing: every write completes at once, and nothing is ever found. For
   * a control plane whose calls cannot outlive it (the embedded one), whose call registry holds
   * every call for its whole retention already; a copy here would only double their memory.
   */
  static CallStore none() {
    return NoCalls.INSTANCE;
  }
}
