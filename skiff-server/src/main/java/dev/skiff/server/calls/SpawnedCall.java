package dev.skiff.server.calls;

import com.google.protobuf.ByteString;
import dev.skiff.proto.Result;
import dev.skiff.server.runtime.FunctionInputs;
import dev.skiff.server.runtime.Input;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The record of one {@code Spawn}: its function, its input and, once there, its result; and the
 * {@code GetResult} calls waiting for it. On the long-running server the {@link CallRegistry} also
 * stores it. Thread-safe.
 */
public final class SpawnedCall {
  public final String id;
  public final FunctionInputs function;
  public final Input input;

  // Guards result and waiters.
  private final Object lock = new Object();
  private Result result;
  private final List<Consumer<Result>> waiters = new ArrayList<>();

  private final Consumer<Result> onResult;
  private final Clock clock;
  private volatile long finishedAtMillis;

  private SpawnedCall(
      String id, FunctionInputs function, ByteString args, Consumer<Result> onResult, Clock clock) {
    this.id = id;
    this.function = function;
    this.onResult = onResult;
    this.clock = clock;
    this.input = function.newInput(args, this::complete);
  }

  /** A call record with a new input; the caller submits {@link #input} once it has stored it. */
  static SpawnedCall create(String id, FunctionInputs function, ByteString args) {
    return new SpawnedCall(id, function, args, r -> {}, Clock.systemUTC());
  }

  /**
   * A call record with a new input whose result is also handed, once, to {@code onResult} (which
   * stores it).
   */
  static SpawnedCall create(
      String id, FunctionInputs function, ByteString args, Consumer<Result> onResult, Clock clock) {
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
    List<Consumer<Result>> toCall;
    synchronized (lock) {
      if (result != null) {
        return;
      }
      result = r;
      finishedAtMillis = clock.millis();
      toCall = List.copyOf(waiters);
      waiters.clear();
    }
    onResult.accept(r);
    toCall.forEach(w -> w.accept(r));
  }
}
