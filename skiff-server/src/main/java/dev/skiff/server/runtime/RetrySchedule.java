package dev.skiff.server.runtime;

import dev.skiff.proto.ErrorKind;
import dev.skiff.proto.RetryPolicy;
import java.time.Duration;

/**
 * When a failed input is tried again. Pure.
 *
 * @param maxRetries how many retries after the first attempt (0 = none)
 * @param initialDelay the delay before the first retry
 * @param backoffCoefficient how much each delay grows over the one before (>= 1)
 * @param maxDelay the longest delay
 */
public record RetrySchedule(
    int maxRetries, Duration initialDelay, double backoffCoefficient, Duration maxDelay) {
  /** Used when a policy leaves the maximum delay unset. */
  static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(60);

  static final RetrySchedule NONE = new RetrySchedule(0, Duration.ZERO, 1.0, DEFAULT_MAX_DELAY);

  /**
   * The schedule of a wire policy. Unset (zero) fields mean: no retries, no initial delay, a
   * coefficient of 1 and a 60 s cap. Generators never retry.
   */
  static RetrySchedule of(RetryPolicy policy, boolean generator) {
    if (generator || policy.getMaxRetries() <= 0) {
      return NONE;
    }
    return new RetrySchedule(
        policy.getMaxRetries(),
        Duration.ofMillis(Math.max(0, policy.getInitialDelayMs())),
        policy.getBackoffCoefficient() >= 1.0 ? policy.getBackoffCoefficient() : 1.0,
        policy.getMaxDelayMs() > 0 ? Duration.ofMillis(policy.getMaxDelayMs()) : DEFAULT_MAX_DELAY);
  }

  /** How many attempts an input gets at most. */
  int maxAttempts() {
    return maxRetries + 1;
  }

  /**
   * Whether an attempt that failed with {@code kind} is retried: the error must be one that another
   * attempt may cure, and attempts must remain.
   *
   * @param attempt the number of the failed attempt, from 1
   */
  boolean retries(ErrorKind kind, int attempt) {
    return attempt < maxAttempts() && isRetryable(kind);
  }

  /** User exceptions, timeouts and crashes are retried; cancellations and encoding errors never. */
  static boolean isRetryable(ErrorKind kind) {
    return switch (kind) {
      case USER_EXCEPTION, TIMEOUT, CONTAINER_CRASHED -> true;
      default -> false;
    };
  }

  /**
   * The delay before retry {@code k} (from 1): {@code min(maxDelay, initial * coefficient^(k-1))}.
   */
  Duration delayBefore(int k) {
    if (k < 1) {
      throw new IllegalArgumentException("retry number must be >= 1, was " + k);
    }
    double millis = (double) initialDelay.toMillis() * Math.pow(backoffCoefficient, k - 1);
    return Duration.ofMillis((long) Math.min((double) maxDelay.toMillis(), millis));
  }
}
