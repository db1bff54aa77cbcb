package dev.skiff;

import java.time.Duration;
import java.util.Objects;

/**
 * A fixed-rate schedule, like the seed's {@code Period(days=1)}: the function runs once per period.
 *
 * @param interval the time between two runs; at least one second
 */
public record Period(Duration interval) implements Schedule {
  /**
   * @throws InvalidConfigurationException if the interval is shorter than one second
   */
  public Period {
    Objects.requireNonNull(interval, "interval");
    if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new InvalidConfigurationException(
          "schedule: Period was " + interval + "; allowed is at least 1s");
    }
  }

  /** A period of whole days. */
  public static Period ofDays(long days) {
    return new Period(Duration.ofDays(days));
  }

  /** A period of whole hours. */
  public static Period ofHours(long hours) {
    return new Period(Duration.ofHours(hours));
  }

  /** A period of whole minutes. */
  public static Period ofMinutes(long minutes) {
    return new Period(Duration.ofMinutes(minutes));
  }

  /** A period of whole seconds. */
  public static Period ofSeconds(long seconds) {
    return new Period(Duration.ofSeconds(seconds));
  }

  /** A period of days, hours, minutes and seconds added together. */
  public static Period of(long days, long hours, long minutes, long seconds) {
    return new Period(
        Duration.ofDays(days).plusHours(hours).plusMinutes(minutes).plusSeconds(seconds));
  }
}
