package dev.skiff;

import java.time.Duration;
import java.util.Objects;

/**
 * A fixed-rate schedule, the guide's {@code Period(days=1)}: the function runs once per interval,
 * e.g. {@code f.schedule(Every.days(1))}. (Not named {@code Period}, so that {@code import
 * dev.skiff.*} and {@code import java.time.*} can stand together.)
 *
 * @param interval the time between two runs; at least one second
 */
public record Every(Duration interval) implements Schedule {
  /**
   * @throws InvalidConfigurationException if the interval is shorter than one second
   */
  public Every {
    Objects.requireNonNull(interval, "interval");
    if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new InvalidConfigurationException(
          "schedule: Every was " + interval + "; allowed is at least 1s");
    }
  }

  /** Every {@code interval}, e.g. {@code Every.of(Duration.ofMinutes(90))}. */
  public static Every of(Duration interval) {
    return new Every(interval);
  }

  /** Every {@code days} whole days. */
  public static Every days(long days) {
    return new Every(Duration.ofDays(days));
  }

  /** Every {@code hours} whole hours. */
  public static Every hours(long hours) {
    return new Every(Duration.ofHours(hours));
  }

  /** Every {@code minutes} whole minutes. */
  public static Every minutes(long minutes) {
    return new Every(Duration.ofMinutes(minutes));
  }

  /** Every {@code seconds} whole seconds. */
  public static Every seconds(long seconds) {
    return new Every(Duration.ofSeconds(seconds));
  }
}
