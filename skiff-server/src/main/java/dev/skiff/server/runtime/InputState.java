package dev.skiff.server.runtime;

import dev.skiff.proto.Result;
import java.util.concurrent.ScheduledFuture;

/** Where an {@link Input} is in its life. Changed only under its function's lock. */
public sealed interface InputState {
  /** Waiting in the function's queue for a container slot. */
  record Queued() implements InputState {}

  /** An attempt runs in a container. */
  record Running(Attempt attempt) implements InputState {}

  /** An attempt failed; the next one is queued when the timer fires. */
  record WaitingToRetry(ScheduledFuture<?> timer) implements InputState {}

  /** The result is final and was handed to the listener. */
  record Finished(Result result) implements InputState {}
}
