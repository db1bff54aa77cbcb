package dev.skiff;

import java.time.Instant;
import java.util.Objects;

/**
 * One run of a scheduled function, as kept in its app's history ({@link AppRun#history()}).
 *
 * @param function the function's name
 * @param scheduledAt the schedule's fire time that the run is for
 * @param startedAt when the run was submitted as an input of the function
 * @param state whether it runs, succeeded or failed (after any retries)
 */
public record ScheduledRun(String function, Instant scheduledAt, Instant startedAt, State state) {
  /** Checks that no component is null. */
  public ScheduledRun {
    Objects.requireNonNull(function, "function");
    Objects.requireNonNull(scheduledAt, "scheduledAt");
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(state, "state");
  }

  /** Where a run stands: {@link Running}, {@link Succeeded} or {@link Failed}. */
  public sealed interface State permits Running, Succeeded, Failed {}

  /** The run has not finished yet. */
  public record Running() implements State {}

  /**
   * The run returned normally.
   *
   * @param finishedAt when its result reached the control plane
   */
  public record Succeeded(Instant finishedAt) implements State {}

  /**
   * The run failed for good (its retries, if any, are spent).
   *
   * @param finishedAt when the failure was final
   * @param error what went wrong: the exception's class and message, or the control plane's reason
   *     (a timeout, a crashed container, a stopped app)
   */
  public record Failed(Instant finishedAt, String error) implements State {}

  /** Whether the run has finished and succeeded. */
  public boolean succeeded() {
    return state instanceof Succeeded;
  }
}
