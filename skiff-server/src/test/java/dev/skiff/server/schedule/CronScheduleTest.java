package dev.skiff.server.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.Cron;
import dev.skiff.InvalidConfigurationException;
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
  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

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
        .isEqualTo(
            instants("2030-01-01T10:05:00Z", "2030-01-01T10:10:00Z", "2030-01-01T10:15:00Z"));
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
    assertThat(next("0 0 */2 * MON", UTC, "2030-01-01T00:00:00Z", 3))
        .isEqualTo(
            instants("2030-01-07T00:00:00Z", "2030-01-21T00:00:00Z", "2030-02-11T00:00:00Z"));
    // The same with the star in the day of week: the 1st, when a Sunday, Tuesday, Thursday or
    // Saturday (2030-01-01 is a Tuesday, 2030-06-01 a Saturday, the months between are not).
    assertThat(next("0 0 1 * */2", UTC, "2029-12-31T00:00:00Z", 2))
        .isEqualTo(instants("2030-01-01T00:00:00Z", "2030-06-01T00:00:00Z"));
  }

  @Test
  void rangeOfDayNamesMayStartOnSunday() {
    // 2030-01-03 is a Thursday: the next days of a Sunday-to-Thursday week are Sun 6 and Mon 7.
    assertThat(next("0 12 * * SUN-THU", UTC, "2030-01-03T13:00:00Z", 2))
        .isEqualTo(instants("2030-01-06T12:00:00Z", "2030-01-07T12:00:00Z"))
        .isEqualTo(next("0 12 * * 0-4", UTC, "2030-01-03T13:00:00Z", 2));
  }

  @Test
  void expressionIsReadInItsTimeZoneAcrossDaylightSaving() {
    assertThat(next("0 9 * * *", NEW_YORK, "2030-01-10T00:00:00Z", 1))
        .isEqualTo(instants("2030-01-10T14:00:00Z"));
    assertThat(next("0 9 * * *", NEW_YORK, "2030-07-10T00:00:00Z", 1))
        .isEqualTo(instants("2030-07-10T13:00:00Z"));
  }

  // Clock changes. New York: on 2024-03-10 02:00 EST jumps to 03:00 EDT (07:00Z); on 2024-11-03
  // 02:00 EDT goes back to 01:00 EST (06:00Z), so 01:00-02:00 comes twice (05:00Z and 06:00Z).
  // Berlin: on 2024-03-31 02:00 CET jumps to 03:00 CEST (01:00Z); on 2024-10-27 03:00 CEST goes
  // back to 02:00 CET (01:00Z), so 02:00-03:00 comes twice (00:00Z and 01:00Z).

  @Test
  void fixedTimeSkippedByClocksGoingForwardFiresOnceWhenTheClocksJump() {
    assertThat(next("30 2 * * *", NEW_YORK, "2024-03-10T05:00:00Z", 2))
        .isEqualTo(instants("2024-03-10T07:00:00Z", "2024-03-11T06:30:00Z"));
    assertThat(next("30 2 * * *", BERLIN, "2024-03-30T12:00:00Z", 2))
        .isEqualTo(instants("2024-03-31T01:00:00Z", "2024-04-01T00:30:00Z"));
    // Several skipped times, and a time right after the jump, make one run at the jump.
    assertThat(next("0,30 2,3 * * *", NEW_YORK, "2024-03-10T05:00:00Z", 3))
        .isEqualTo(
            instants("2024-03-10T07:00:00Z", "2024-03-10T07:30:00Z", "2024-03-11T06:00:00Z"));
  }

  @Test
  void fixedTimeRepeatedByClocksGoingBackFiresOnceAtItsFirstOccurrence() {
    assertThat(next("30 1 * * *", NEW_YORK, "2024-11-03T04:00:00Z", 2))
        .isEqualTo(instants("2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z"));
    assertThat(next("30 2 * * *", BERLIN, "2024-10-26T12:00:00Z", 2))
        .isEqualTo(instants("2024-10-27T00:30:00Z", "2024-10-28T01:30:00Z"));
    // Asked from inside the repeated hour, it does not fire the second occurrence.
    assertThat(next("30 1 * * *", NEW_YORK, "2024-11-03T06:10:00Z", 1))
        .isEqualTo(instants("2024-11-04T06:30:00Z"));
  }

  @Test
  void wildcardTimesInTheSkippedHourDoNotFire() {
    assertThat(next("*/30 * * * *", NEW_YORK, "2024-03-10T06:00:00Z", 3))
        .isEqualTo(
            instants("2024-03-10T06:30:00Z", "2024-03-10T07:00:00Z", "2024-03-10T07:30:00Z"));
    assertThat(next("*/20 2 * * *", NEW_YORK, "2024-03-10T05:00:00Z", 1))
        .isEqualTo(instants("2024-03-11T06:00:00Z"));
  }

  @Test
  void wildcardTimesInTheRepeatedHourFireAtBothOccurrences() {
    assertThat(next("*/30 * * * *", NEW_YORK, "2024-11-03T04:50:00Z", 5))
        .isEqualTo(
            instants(
                "2024-11-03T05:00:00Z",
                "2024-11-03T05:30:00Z",
                "2024-11-03T06:00:00Z",
                "2024-11-03T06:30:00Z",
                "2024-11-03T07:00:00Z"));
    // Asked from late in the first occurrence, the next is the start of the second.
    assertThat(next("0 * * * *", BERLIN, "2024-10-27T00:45:00Z", 2))
        .isEqualTo(instants("2024-10-27T01:00:00Z", "2024-10-27T02:00:00Z"));
  }

  @Test
  void leapDayIsFoundYearsAhead() {
    assertThat(next("0 0 29 2 *", UTC, "2030-03-01T00:00:00Z", 1))
        .isEqualTo(instants("2032-02-29T00:00:00Z"));
  }

  @Test
  void expressionThatNeverMatchesHasNoNextTime() {
    assertThat(
            CronSchedule.parse("0 0 30 2 *", UTC).nextAfter(Instant.parse("2030-01-01T00:00:00Z")))
        .isEmpty();
  }

  @Test
  void invalidExpressionsAreRefusedNamingTheFieldAndWhatIsAllowed() {
    assertThatThrownBy(() -> CronSchedule.parse("* * * *", UTC))
        .hasMessage(
            "cron '* * * *' has 4 fields; allowed is 5 (minute hour day-of-month month"
                + " day-of-week)");
    assertThatThrownBy(() -> CronSchedule.parse("@daily", UTC))
        .hasMessageStartingWith("cron '@daily' has 1 fields; allowed is 5");
    assertThatThrownBy(() -> CronSchedule.parse("61 * * * *", UTC))
        .hasMessage(
            "cron '61 * * * *' has an invalid minute field '61': Value 61 not in range [0, 59];"
                + " allowed is *, a value in 0..59, a range a-b, a step */n, a-b/n or a/n, or a"
                + " comma list of those");
    assertThatThrownBy(() -> CronSchedule.parse("* * * * 1-FOO", UTC))
        .hasMessageContaining("invalid day-of-week field '1-FOO': 'FOO' is not a number or a name")
        .hasMessageContaining("or a name SUN..SAT");
    assertThatThrownBy(() -> CronSchedule.parse("x * * * *", UTC))
        .hasMessageContaining("invalid minute field 'x': 'x' is not a number;");
    assertThatThrownBy(() -> CronSchedule.parse("+1 * * * *", UTC))
        .hasMessageContaining("invalid minute field '+1': '+' is not allowed;");
    assertThatThrownBy(() -> CronSchedule.parse("0 0 ? * *", UTC))
        .hasMessageContaining("invalid day-of-month field '?': '?' is not allowed;");
    assertThatThrownBy(() -> CronSchedule.parse("5-1 * * * *", UTC))
        .hasMessageContaining("invalid minute field '5-1': Invalid range! [5,1];");
    assertThatThrownBy(() -> CronSchedule.parse("0 0 * * SAT-SUN", UTC))
        .hasMessageContaining("invalid day-of-week field 'SAT-SUN': Invalid range! [6,0];");
    assertThatThrownBy(() -> CronSchedule.parse("*/0 * * * *", UTC))
        .hasMessageContaining("invalid minute field '*/0': a step must be at least 1;");
    assertThatThrownBy(() -> CronSchedule.parse("0 0 * 13 *", UTC))
        .hasMessageContaining("invalid month field '13': Value 13 not in range [1, 12];")
        .hasMessageContaining("allowed is *, a value in 1..12 or a name JAN..DEC");
    assertThatThrownBy(() -> CronSchedule.parse("1,,2 * * * *", UTC))
        .hasMessageContaining("invalid minute field '1,,2': it has an empty list element;");
  }

  @Test
  void sdkAndServerAgreeOnWhatIsValid() {
    // The SDK checks expressions when the app is defined, without cron-utils; the server decides.
    List<String> valid =
        List.of(
            "*/5 * * * *",
            "0,30 9-13/2 * * *",
            "50/4 0 * * *",
            "0 12 * jan,JUL Mon-fri",
            "0 0 * * 7",
            "0 0 * * SUN-THU",
            "0 0 13 * FRI",
            "0 0 */2 * MON",
            "0 0 1 * */2",
            "59 23 31 12 0");
    List<String> invalid =
        List.of(
            "* * * *",
            "@daily",
            "61 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * * 13 *",
            "* * * * 8",
            "* * * * 1-FOO",
            "0 0 * * MONDAY",
            "5-1 * * * *",
            "0 0 * * SAT-SUN",
            "*/0 * * * *",
            "*/60 * * * *",
            "1,,2 * * * *",
            "+1 * * * *",
            "? * * * *",
            "0 0 L * *",
            "0 0 15W * *",
            "0 0 * * 1#2");
    for (String e : valid) {
      assertThat(Cron.of(e).expression()).isEqualTo(e);
      assertThat(CronSchedule.parse(e, UTC).expression()).isEqualTo(e);
    }
    for (String e : invalid) {
      assertThatThrownBy(() -> Cron.of(e))
          .as("SDK, %s", e)
          .isInstanceOf(InvalidConfigurationException.class);
      assertThatThrownBy(() -> CronSchedule.parse(e, UTC))
          .as("server, %s", e)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
