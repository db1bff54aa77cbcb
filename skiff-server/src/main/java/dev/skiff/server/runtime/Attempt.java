package dev.skiff.server.runtime;

import java.time.Instant;
import java.util.concurrent.ScheduledFuture;

/**
 * One try of an input in one container. It occupies a slot of its container until the container
 * reports its output or ends, even after the control plane has given up on it (cancelled or timed
 * out: {@link #abandoned}), because the user's code may still be running. Mutable state is guarded
 * by the function's lock.
 */
public final class Attempt {
  final Input input;
  final int number;
  final Container container;

  // Guarded by the function's lock.
  /** The per-attempt timeout, or later the kill that follows an unanswered cancel. */
  ScheduledFuture<?> timer;

  /** When it was presumed to start running (a prefetched attempt waits for a slot first). */
  Instant startedAt;

  /** The input no longer waits for this attempt: any output it sends is discarded. */
  boolean abandoned;

  Attempt(Input input, int number, Container container) {
    this.input = input;
    this.number = number;
    this.container = container;
  }

  Key key() {
    return new Key(input.id, number);
  }

  /** Whether this is the attempt its input waits for. */
  boolean isCurrent() {
    return !abandoned && input.state instanceof InputState.Running r && r.attempt() == this;
  }

  void cancelTimer() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  /** Identifies an attempt on the wire: an {@code Output} names its input and attempt number. */
  record Key(long inputId, int attempt) {}

  @Override
  public String toString() {
    return "attempt " + number + " of input " + input.id + " on " + container.id;
  }
}
