package dev.skiff.server.runtime;

import com.google.protobuf.ByteString;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.FunctionStatus;
import java.time.Duration;
import java.util.Collection;

/**
 * The input side of one function's scheduler: what calls, web endpoints, schedules, the client API
 * and its map and generate streams do with a function. Its containers talk to the other side,
 * {@link ContainerEvents}. Implemented by {@link FunctionScheduler}; handed out by {@link
 * RunningApp}.
 *
 * <p>Every method may be called from any thread, including gRPC transport threads: none blocks, and
 * results reach an input's {@link InputListener} on whichever thread finished it, never while the
 * scheduler holds its lock.
 */
public interface FunctionInputs {
  /** The app the function belongs to. */
  AppSpec app();

  /** The function's definition, as deployed. */
  FunctionDef def();

  /** The function's name within its app. */
  String name();

  /**
   * A new input of this function, not yet submitted, which the function's recent activity remembers
   * as a call of this origin.
   */
  Input newInput(ByteString args, InputListener listener, CallOrigin origin);

  /** A new input of this function, not yet submitted, a {@code remote} call without an id. */
  default Input newInput(ByteString args, InputListener listener) {
    return newInput(args, listener, CallOrigin.REMOTE);
  }

  /** Queues a new input; on a stopped function it is cancelled at once. */
  void submit(Input input);

  /** Queues new inputs (in order); on a stopped function they are cancelled at once. */
  void submitAll(Collection<Input> inputs);

  /**
   * Cancels an input: removes it from the queue, or tells its container to stop it, and finishes it
   * with {@code CANCELLED}.
   *
   * @return false if the input had already finished
   */
  boolean cancel(Input input, String message);

  /** Grants a generator input {@code credit} more items. */
  void addCredit(Input input, int credit);

  /** What the function runs now: its containers and their states, and what the autoscaler wants. */
  FunctionStatus status();

  /**
   * Changes the autoscaler settings; they take effect at once (containers start or stop now).
   *
   * @throws IllegalArgumentException if the settings are inconsistent (e.g. min > max)
   */
  void updateAutoscaler(int min, int max, int buffer, Duration window);

  /**
   * Asks one container to shut down, as a scale-down does: it takes no new inputs and finishes what
   * it was sent within the stop grace period; after that it is stopped, and what it still holds
   * fails or retries as after a crash (inputs it had not started go back to the queue). The
   * autoscaler starts a replacement if demand needs one.
   *
   * @return false if the container is not (or no longer) one of this function's
   */
  boolean stopContainer(Container c);
}
