package dev.skiff.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The cron matcher, on fixed instants (no clock involved). */
class CronScheduleTest {
  private static final ZoneId UTC = ZoneOffset.UTC;
  private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

  private static List<Instant> next(String expression, ZoneId zone, String from, int n) {
    CronSchedule cron = CronSchedule.parse(expression, zone);
    List<Instant> out = new ArrayList<>();
    Instant t = Instant.parse(from);
    for (int i = 0; i < n; i++) {
      t = cron.nextAfter(t).orElseThrow();
      out.add(t);
    }
    return out;
  }

  private static List<Instant> instants(String... s) {
    return Arrays.stream(s).map(Instant::parse).toList();
  }

  @Test
  void stepOfMinutesFiresOnEachMultipleStrictlyAfterTheGivenInstant() {
    assertThat(next("*/5 * * * *", UTC, "2030-01-01T10:03:20Z", 3))
        .isEqualTo(instants("2030-01-01T10:05:00Z", "2030-01-01T10:10:00Z", "2030-01-01T10:15:00Z"));
    assertThat(next("*/5 * * * *", UTC, "2030-01-01T10:05:00Z", 1))
        .isEqualTo(instants("2030-01-01T10:10:00Z"));
  }

  @Test
  void listsRangesAndRangeStepsCombine() {
    assertThat(next("0,30 9-13/2 * * *", UTC, "2030-01-01T00:00:00Z", 7))
        .isEqualTo(
            instants(
                "2030-01-01T09:00:00Z",
                "2030-01-01T09:30:00Z",
                "2030-01-01T11:00:00Z",
                "2030-01-01T11:30:00Z",
                "2030-01-01T13:00:00Z",
                "2030-01-01T13:30:00Z",
                "2030-01-02T09:00:00Z"));
  }

  @Test
  void valueWithStepRunsToTheEndOfTheRange() {
    assertThat(next("50/4 0 * * *", UTC, "2030-01-01T00:00:00Z", 4))
        .isEqualTo(
            instants(
                "2030-01-01T00:50:00Z",
                "2030-01-01T00:54:00Z",
                "2030-01-01T00:58:00Z",
                "2030-01-02T00:50:00Z"));
  }

  @Test
  void monthAndDayNamesAreCaseInsensitive() {
    // 2030-01-01 is a Tuesday; weekdays of January and July only.
    assertThat(next("0 12 * jan,JUL Mon-fri", UTC, "2030-01-03T13:00:00Z", 2))
        .isEqualTo(instants("2030-01-04T12:00:00Z", "2030-01-07T12:00:00Z"));
    assertThat(next("0 0 1 * *", UTC, "2030-01-31T00:00:00Z", 1))
        .isEqualTo(instants("2030-02-01T00:00:00Z"));
  }

  @Test
  void sundayIsZeroOrSeven() {
    // 2030-01-06 is a Sunday.
    assertThat(next("0 0 * * 7", UTC, "2030-01-01T00:00:00Z", 1))
        .isEqualTo(next("0 0 * * 0", UTC, "2030-01-01T00:00:00Z", 1))
        .isEqualTo(instants("2030-01-06T00:00:00Z"));
    assertThat(next("0 0 * * SUN", UTC, "2030-01-01T00:00:00Z", 1))
        .isEqualTo(instants("2030-01-06T00:00:00Z"));
  }

  @Test
  void restrictedDayOfMonthAndDayOfWeekMatchEither() {
    // The 13th, or any Friday: 2030-09-06 (Fri), 2030-09-13 (Fri and 13th, once), 2030-09-20.
    assertThat(next("0 0 13 * FRI", UTC, "2030-09-01T00:00:00Z", 3))
        .isEqualTo(
            instants("2030-09-06T00:00:00Z", "2030-09-13T00:00:00Z", "2030-09-20T00:00:00Z"));
    // 2030-10-13 is a Sunday: matched through the day of month alone.
    assertThat(next("0 0 13 * FRI", UTC, "2030-10-12T00:00:00Z", 1))
        .isEqualTo(instants("2030-10-13T00:00:00Z"));
  }

  @Test
  void dayFieldStartingWithStarMakesBothDayFieldsRequired() {
    // "*/2" counts as a star: odd days of month that are also Mondays.
    CronSchedule cron = CronSchedule.parse("0 0 */2 * MON", UTC);
    assertThat(cron.matches(LocalDateTime.parse("2030-01-07T00:00"))).isTrue(); // Mon, 7th
    assertThat(cron.matches(LocalDateTime.parse("2030-01-14T00:00"))).isFalse(); // Mon, 14th
    assertThat(cron.matches(LocalDateTime.parse("2030-01-09T00:00"))).isFalse(); // Wed, 9th
  }

  @Test
  void expressionIsReadInItsTimeZoneAcrossDaylightSaving() {
    assertThat(next("0 9 * * *", NEW_YORK, "2030-01-10T00:00:00Z", 1))
        .isEqualTo(instants("2030-01-10T14:00:00Z"));
    assertThat(next("0 9 * * *", NEW_YORK, "2030-07-10T00:00:00Z", 1))
        .isEqualTo(instants("2030-07-10T13:00:00Z"));
  }

  @Test
  void localTimeSkippedByClocksGoingForwardFiresOnceAfterTheGap() {
    // 2024-03-10: New York skips 02:00-03:00; 02:30 becomes 03:30 EDT (07:30Z).
    assertThat(next("30 2 * * *", NEW_YORK, "2024-03-10T05:00:00Z", 2))
        .isEqualTo(instants("2024-03-10T07:30:00Z", "2024-03-11T06:30:00Z"));
  }

  @Test
  void localTimeRepeatedByClocksGoingBackFiresOnce() {
    // 2024-11-03: New York repeats 01:00-02:00; 01:30 fires at its first occurrence (05:30Z) only.
    assertThat(next("30 1 * * *", NEW_YORK, "2024-11-03T04:00:00Z", 2))
        .isEqualTo(instants("2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z"));
    // Asked from inside the repeated hour, it does not go back to the first occurrence.
    assertThat(next("30 1 * * *", NEW_YORK, "2024-11-03T06:10:00Z", 1))
        .isEqualTo(instants("2024-11-04T06:30:00Z"));
  }

  @Test
  void leapDayIsFoundYearsAhead() {
    assertThat(next("0 0 29 2 *", UTC, "2030-03-01T00:00:00Z", 1))
        .isEqualTo(instants("2032-02-29T00:00:00Z"));
  }

  @Test
  void expressionThatNeverMatchesHasNoNextTime() {
    assertThat(CronSchedule.parse("0 0 30 2 *", UTC).nextAfter(Instant.parse("2030-01-01T00:00:00Z")))
        .isEmpty();
  }

  @Test
  void invalidExpressionsAreRefusedNamingTheFieldAndWhatIsAllowed() {
    assertThatThrownBy(() -> CronSchedule.parse("* * * *", UTC))
        .hasMessage(
            "cron '* * * *' has 4 fields; allowed is 5 (minute hour day-of-month month"
                + " day-of-week)");
    assertThatThrownBy(() -> CronSchedule.parse("61 * * * *", UTC))
        .hasMessageStartingWith("cron '61 * * * *' has an invalid minute field '61': '61' is out of range;")
        .hasMessageContaining("allowed is *, a value in 0..59");
    assertThatThrownBy(() -> CronSchedule.parse("* * * * 1-FOO", UTC))
        .hasMessageContaining("invalid day-of-week field '1-FOO': value 'FOO' is not a number")
        .hasMessageContaining("or a name SUN..SAT");
    assertThatThrownBy(() -> CronSchedule.parse("5-1 * * * *", UTC))
        .hasMessageContaining("range 5-1 runs backwards");
    assertThatThrownBy(() -> CronSchedule.parse("*/0 * * * *", UTC))
        .hasMessageContaining("step 0 is less than 1");
    assertThatThrownBy(() -> CronSchedule.parse("1,,2 * * * *", UTC))
        .hasMessageContaining("value '' is not a number");
  }
}
