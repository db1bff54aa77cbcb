package dev.skiff.server.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Fires at {@code start + k * period} for k = 1, 2, ...: a fixed rate counted from the app's start,
 * so a late run does not shift later ones.
 *
 * @param start when counting starts (the app's start)
 * @param period the time between two fire times; positive
 */
public record FixedRate(Instant start, Duration period) implements Trigger {
  public FixedRate {
    if (period.isNegative() || period.isZero()) {
      throw new IllegalArgumentException("period must be positive, was " + period);
    }
  }

  @Override
  public Optional<Instant> nextAfter(Instant after) {
    if (after.isBefore(start)) {
      return Optional.of(start.plus(period));
    }
    long periodNanos = period.toNanos();
    long elapsed = Duration.between(start, after).toNanos();
    return Optional.of(start.plusNanos((elapsed / periodNanos + 1) * periodNanos));
  }
}
