package dev.skiff.server.calls;

import com.google.protobuf.ByteString;
import dev.skiff.proto.CallKind;
import dev.skiff.proto.Result;
import dev.skiff.server.runtime.CallOrigin;
import dev.skiff.server.runtime.FunctionInputs;
import dev.skiff.server.runtime.Input;
import dev.skiff.server.store.jdbc.Fence;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The record of one {@code Spawn}: its function, its input and, once there, its result; and the
 * {@code GetResult} calls waiting for it. On the long-running server the {@link CallRegistry} also
 * stores it. Thread-safe.
 */
public final class SpawnedCall {
  /**
   * What waiters get instead of a result when this replica may not store the call's result: its app
   * moved to another replica, which runs the call again and stores its result.
   */
  public static final Result MOVED = Result.newBuilder().build();

  public final String id;
  public final FunctionInputs function;
  public final Input input;

  // Guards result and waiters.
  private final Object lock = new Object();
  private Result result;
  private boolean completing;
  private final List<Consumer<Result>> waiters = new ArrayList<>();

  private final Function<Result, CompletionStage<Void>> onResult;
  private final Clock clock;
  private volatile long finishedAtMillis;

  private SpawnedCall(
      String id,
      FunctionInputs function,
      ByteString args,
      Function<Result, CompletionStage<Void>> onResult,
      Clock clock) {
    this.id = id;
    this.function = function;
    this.onResult = onResult;
    this.clock = clock;
    this.input = function.newInput(args, this::complete, new CallOrigin(CallKind.CALL_SPAWN, id));
  }

  /** A call record with a new input; the caller submits {@link #input} once it has stored it. */
  static SpawnedCall create(String id, FunctionInputs function, ByteString args) {
    return new SpawnedCall(
        id, function, args, r -> CompletableFuture.completedFuture(null), Clock.systemUTC());
  }

  /**
   * A call record with a new input whose result is handed, once, to {@code onResult}, which stores
   * it; waiters get the result once it is stored, or {@link #MOVED} if the store refused it because
   * the call's app moved to another replica ({@link Fence.FencedException}). A result that could
   * not be stored for another reason still reaches the waiters (the failure is logged).
   */
  static SpawnedCall create(
      String id,
      FunctionInputs function,
      ByteString args,
      Function<Result, CompletionStage<Void>> onResult,
      Clock clock) {
    return new SpawnedCall(id, function, args, onResult, clock);
  }

  /** When the result arrived (epoch millis), or 0 while the call runs. */
  long finishedAtMillis() {
    return finishedAtMillis;
  }

  public String appId() {
    return function.app().id();
  }

  public Optional<Result> result() {
    synchronized (lock) {
      return Optional.ofNullable(result);
    }
  }

  /**
   * Calls {@code waiter} once with the result: at once (on this thread) if it is there, else when
   * it arrives.
   *
   * @return withdraws the waiter
   */
  public Runnable await(Consumer<Result> waiter) {
    Result now;
    synchronized (lock) {
      now = result;
      if (now == null) {
        waiters.add(waiter);
        return () -> {
          synchronized (lock) {
            waiters.remove(waiter);
          }
        };
      }
    }
    waiter.accept(now);
    return () -> {};
  }

  private void complete(Result r) {
    synchronized (lock) {
      if (result != null || completing) {
        return;
      }
      completing = true;
    }
    onResult
        .apply(r)
        .whenComplete(
            (ok, error) -> {
              boolean moved = error != null && fenced(error);
              List<Consumer<Result>> toCall;
              synchronized (lock) {
                if (!moved) {
                  result = r;
                  finishedAtMillis = clock.millis();
                }
                toCall = List.copyOf(waiters);
                waiters.clear();
              }
              Result given = moved ? MOVED : r;
              toCall.forEach(w -> w.accept(given));
            });
  }

  /** Whether this replica may not store the result: its app belongs to another replica now. */
  static boolean fenced(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof Fence.FencedException) {
        return true;
      }
    }
    return false;
  }
}
