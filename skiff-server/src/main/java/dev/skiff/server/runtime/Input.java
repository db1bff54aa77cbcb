package dev.skiff.server.runtime;

import com.google.protobuf.ByteString;
import dev.skiff.server.activity.CallRecord;

/**
 * One input of a function: its arguments, where its result goes, and its state. Mutable state is
 * guarded by the owning {@link FunctionScheduler}'s lock.
 */
public final class Input {
  public final long id;
  final boolean generator;
  final InputListener listener;

  // Guarded by the function's lock.
  /** The encoded arguments; dropped once the input has finished, as no attempt needs them. */
  ByteString args;

  InputState state = new InputState.Queued();

  /** What the function's recent activity remembers of it. */
  CallRecord record;

  /** The number of the latest attempt (0 before the first). */
  int attempts;

  /** Generator credit granted while no attempt runs, handed over with the next assignment. */
  int pendingCredit;

  /** When it was submitted and when it last joined the queue, in the ticker's nanoseconds. */
  long submittedNanos;

  long queuedNanos;

  Input(long id, ByteString args, boolean generator, InputListener listener) {
    this.id = id;
    this.args = args;
    this.generator = generator;
    this.listener = listener;
  }

  @Override
  public String toString() {
    return "input " + id;
  }
}
