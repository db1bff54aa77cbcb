package dev.skiff.server.schedule;

import dev.skiff.proto.ScheduleDef;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Optional;

/** When a scheduled function is due: a fixed rate or a cron expression. Immutable, pure. */
public sealed interface Trigger permits FixedRate, CronSchedule {
  /** The first fire time strictly after {@code after}, or empty if there is none. */
  Optional<Instant> nextAfter(Instant after);

  /**
   * The trigger of a schedule definition; a fixed rate counts from {@code start}.
   *
   * @throws IllegalArgumentException with a message saying what is wrong and what is allowed
   */
  static Trigger of(ScheduleDef def, Instant start) {
    return switch (def.getKindCase()) {
      case PERIOD_MS -> {
        if (def.getPeriodMs() < 1000) {
          throw new IllegalArgumentException(
              "schedule period_ms is " + def.getPeriodMs() + "; allowed is at least 1000");
        }
        yield new FixedRate(start, Duration.ofMillis(def.getPeriodMs()));
      }
      case CRON -> {
        ZoneId zone;
        try {
          zone =
              def.getCron().getZone().isEmpty()
                  ? ZoneOffset.UTC
                  : ZoneId.of(def.getCron().getZone());
        } catch (DateTimeException e) {
          throw new IllegalArgumentException(
              "schedule cron zone '"
                  + def.getCron().getZone()
                  + "' is unknown; allowed is a java.time zone id like 'Europe/Paris'");
        }
        yield CronSchedule.parse(def.getCron().getExpression(), zone);
      }
      case KIND_NOT_SET ->
          throw new IllegalArgumentException("schedule sets neither period_ms nor cron");
    };
  }
}
