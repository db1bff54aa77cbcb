package dev.skiff.server.calls;

import com.google.protobuf.ByteString;
import dev.skiff.proto.Result;
import dev.skiff.server.common.RandomIds;
import dev.skiff.server.common.Statuses;
import dev.skiff.server.runtime.Failures;
import dev.skiff.server.runtime.FunctionInputs;
import dev.skiff.server.store.CallStore;
import dev.skiff.server.store.StoredCall;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The spawned calls of a control plane, by id.
 *
 * <p>Every spawned call is written to the {@link CallStore} <em>before</em> its input is submitted
 * and before {@code spawn} answers, and its result is written when it arrives. On the long-running
 * server that store is a database (writes are group-committed, so concurrent spawns share a
 * commit); embedded, it is memory, whose writes are done at once. The store keeps the first result
 * only, so a call has exactly one stored result even if its input ran more than once (execution is
 * at least once). After a restart, the unfinished calls of deployed apps are re-queued under their
 * old ids ({@link #adopt}); the others get a stored failure.
 *
 * <p>Results are kept for a retention and then swept, from memory and the store; a finished call
 * leaves memory after {@code keepInMemory} already, and is answered from the store from then on.
 * Thread-safe.
 *
 * <p><b>Ownership.</b> The registry is the single authority for the spawned calls of this control
 * plane while they run; the store is the authority for their results (first result wins). Several
 * control planes sharing a store would need a claim on unfinished rows before re-queueing them.
 */
public final class CallRegistry {
  private static final System.Logger LOG = System.getLogger(CallRegistry.class.getName());

  /** How long a finished call stays in memory when the store outlives the control plane. */
  public static final Duration KEEP_IN_MEMORY = Duration.ofMinutes(1);

  private final ConcurrentHashMap<String, SpawnedCall> calls = new ConcurrentHashMap<>();
  // The encoded definition of each function, shared by the rows of its calls (a store never
  // changes what it is given), so that a spawn does not encode it again nor keep a copy per call.
  // Weak: a function's entry goes with its stopped app.
  private final Map<FunctionInputs, ByteString> definitions =
      Collections.synchronizedMap(new WeakHashMap<>());
  private final CallStore store;
  private final Clock clock;
  private final Duration retention;
  private final Duration keepInMemory;
  private volatile Predicate<String> deployed = appId -> false;

  /**
   * @param retention how long results are kept
   * @param keepInMemory how long a finished call stays in memory ({@link #KEEP_IN_MEMORY} where the
   *     store outlives the control plane, the whole retention where it does not)
   */
  public CallRegistry(CallStore store, Clock clock, Duration retention, Duration keepInMemory) {
    this.store = store;
    this.clock = clock;
    this.retention = retention;
    this.keepInMemory = keepInMemory;
  }

  /** Tells which app ids are deployed (their calls are re-queued after a restart). */
  public void deployedApps(Predicate<String> isDeployed) {
    this.deployed = isDeployed;
  }

  /**
   * Creates a call, stores it and submits its input; then {@code accepted} gets its id. If it
   * cannot be stored, {@code failed} gets the error and nothing runs.
   */
  public void spawn(
      FunctionInputs function,
      ByteString args,
      Optional<String> proposedId,
      Consumer<String> accepted,
      Consumer<RuntimeException> failed) {
    if (proposedId.isPresent()) {
      String id = proposedId.get();
      SpawnedCall live = calls.get(id);
      if (live != null) {
        // A retry of a spawn whose answer was lost: the call runs already.
        if (live.function == function) {
          accepted.accept(id);
        } else {
          failed.accept(reused(id));
        }
        return;
      }
    }
    SpawnedCall call;
    do {
      call = newCall(proposedId.orElseGet(RandomIds::callId), function, args);
    } while (calls.putIfAbsent(call.id, call) != null && proposedId.isEmpty());
    SpawnedCall c = call;
    StoredCall row =
        new StoredCall(
            c.id,
            function.app().name(),
            deployed.test(function.app().id()),
            function.name(),
            definitions.computeIfAbsent(function, f -> f.def().toByteString()),
            args,
            clock.instant(),
            Optional.empty(),
            Optional.empty());
    store
        .add(row)
        .whenComplete(
            (ok, error) -> {
              if (error != null) {
                calls.remove(c.id, c);
                if (proposedId.isPresent() && storedAlready(row)) {
                  accepted.accept(c.id); // its first try was stored (on this or another replica)
                  return;
                }
                if (SpawnedCall.fenced(error)) {
                  failed.accept(
                      Statuses.unavailable(
                          "app '"
                              + function.app().name()
                              + "' moved to another replica before the call was stored; spawn it"
                              + " again"));
                  return;
                }
                failed.accept(
                    Statuses.failedPrecondition(
                        "the call could not be stored, so it was not started: "
                            + error.getMessage()));
                return;
              }
              try {
                function.submit(c.input);
              } catch (RuntimeException e) {
                // Inside this callback an exception would vanish and the caller wait forever.
                calls.remove(c.id, c);
                failStored(c.id, Failures.cancelled("the call could not be started: " + e));
                failed.accept(e);
                return;
              }
              accepted.accept(c.id);
            });
  }

  /** Whether a call with the same id, app and function as {@code row} is stored. */
  private boolean storedAlready(StoredCall row) {
    try {
      return store
          .find(row.id())
          .filter(s -> s.appName().equals(row.appName()) && s.function().equals(row.function()))
          .isPresent();
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static RuntimeException reused(String id) {
    return Statuses.invalid(
        "call id '" + id + "' is taken by another call; a proposed call id must be new");
  }

  /** Re-queues a stored, unfinished call of a deployed app under its old id (after a restart). */
  public void adopt(String id, FunctionInputs function, ByteString args) {
    SpawnedCall call = newCall(id, function, args);
    if (calls.putIfAbsent(id, call) == null) {
      function.submit(call.input);
    }
  }

  /** Stores a final result for a call that cannot run any more (after a restart). */
  public void failStored(String id, Result result) {
    store.finish(id, result.toByteArray(), clock.instant());
  }

  private SpawnedCall newCall(String id, FunctionInputs function, ByteString args) {
    return SpawnedCall.create(
        id,
        function,
        args,
        result ->
            store
                .finish(id, result.toByteArray(), clock.instant())
                .whenComplete(
                    (ok, e) -> {
                      if (e == null) {
                        return;
                      }
                      if (SpawnedCall.fenced(e)) {
                        // Its app moved: the new owner runs it again and stores its result.
                        calls.remove(id);
                        LOG.log(Level.INFO, "call {0} moved with its app: {1}", id, e.getMessage());
                      } else {
                        LOG.log(
                            Level.ERROR, "the result of call " + id + " could not be stored", e);
                      }
                    }),
        clock);
  }

  /** A call of this run of the control plane. */
  public Optional<SpawnedCall> live(String id) {
    return Optional.ofNullable(calls.get(id));
  }

  /** A stored call (also of earlier runs of the server). */
  public Optional<StoredCall> stored(String id) {
    return store.find(id);
  }

  /**
   * Forgets results older than the retention, in memory and in the store, and finished calls older
   * than {@code keepInMemory} in memory: their results are read from the store from then on. Blocks
   * until the store has swept: call it off the timer thread.
   */
  public void sweep() {
    long before = clock.instant().minus(retention).toEpochMilli();
    long memoryBefore = Math.max(before, clock.instant().minus(keepInMemory).toEpochMilli());
    calls.values().removeIf(c -> c.finishedAtMillis() != 0 && c.finishedAtMillis() < memoryBefore);
    int n = store.sweep(Instant.ofEpochMilli(before));
    if (n > 0) {
      LOG.log(Level.DEBUG, "swept {0} call results older than {1}", n, retention);
    }
  }
}
