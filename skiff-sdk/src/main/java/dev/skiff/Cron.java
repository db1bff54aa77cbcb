package dev.skiff;

import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A schedule given as a standard five-field cron expression (minute, hour, day of month, month, day
 * of week), evaluated in a time zone (UTC unless given), like the seed's <code>Cron("0 *&#47;6 *
 * * *")</code>, as Vixie cron reads it.
 *
 * <p>Each field is a comma list of {@code *}, a value, a range {@code a-b} or a step ({@code
 * *}{@code /n}, {@code a-b/n}, {@code a/n}); months are 1-12 or {@code JAN}-{@code DEC}, days of
 * week 0-7 or {@code SUN}-{@code SAT} (0 and 7 are Sunday). When both day fields are restricted a
 * day matching either fires; when one starts with {@code *}, both must match.
 *
 * <p><b>Clock changes.</b> An expression whose minute and hour fields do not start with {@code *}
 * (such as {@code 30 2 * * *}) fires once for each matching local time: a time skipped when the
 * zone's clocks go forward fires at the moment they jump (02:30 becomes 03:00 on that night), and a
 * time repeated when they go back fires at its first occurrence only. An expression with {@code *}
 * in the minute or hour field ({@code *}{@code /30 * * * *}) follows the wall clock: its times in
 * the skipped hour do not fire, and those in the repeated hour fire at both occurrences.
 *
 * <p>The expression is checked here when the app is defined; the control plane evaluates it.
 *
 * @param expression the five fields separated by spaces
 * @param zone the time zone in which the expression is read
 */
public record Cron(String expression, ZoneId zone) implements Schedule {
  private static final List<String> FIELDS =
      List.of("minute", "hour", "day of month", "month", "day of week");
  private static final int[][] RANGES = {{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}};

  /**
   * @throws InvalidConfigurationException if the expression is not a valid five-field cron
   */
  public Cron {
    Objects.requireNonNull(expression, "expression");
    Objects.requireNonNull(zone, "zone");
    validate(expression);
  }

  /** A cron schedule read in UTC. */
  public static Cron of(String expression) {
    return new Cron(expression, ZoneId.of("UTC"));
  }

  /**
   * A cron schedule read in the given time zone, e.g. {@code "America/New_York"}.
   *
   * @throws InvalidConfigurationException if the zone is unknown
   */
  public static Cron of(String expression, String zone) {
    try {
      return new Cron(expression, ZoneId.of(zone));
    } catch (DateTimeException e) {
      throw new InvalidConfigurationException(
          "schedule: Cron time zone '"
              + zone
              + "' is unknown; use a region id like 'Europe/Paris'");
    }
  }

  private static void validate(String expression) {
    String[] fields = expression.trim().split("\\s+", -1);
    if (fields.length != 5) {
      throw new InvalidConfigurationException(
          "schedule: Cron '"
              + expression
              + "' has "
              + fields.length
              + " fields; allowed is 5 (minute hour day-of-month month day-of-week)");
    }
    for (int i = 0; i < 5; i++) {
      for (String part : fields[i].split(",", -1)) {
        if (!validPart(part, RANGES[i][0], RANGES[i][1], i)) {
          throw new InvalidConfigurationException(
              "schedule: Cron '"
                  + expression
                  + "' has an invalid "
                  + FIELDS.get(i)
                  + " field '"
                  + fields[i]
                  + "'; allowed is *, a number in "
                  + RANGES[i][0]
                  + ".."
                  + RANGES[i][1]
                  + ", a range a-b, a step */n or a-b/n, or a comma list of those");
        }
      }
    }
  }

  private static boolean validPart(String part, int min, int max, int field) {
    String base = part;
    int slash = part.indexOf('/');
    if (slash >= 0) {
      String step = part.substring(slash + 1);
      if (!isNumberIn(step, 1, max)) {
        return false;
      }
      base = part.substring(0, slash);
    }
    if (base.equals("*")) {
      return true;
    }
    int dash = base.indexOf('-');
    if (dash > 0) {
      String lo = base.substring(0, dash);
      String hi = base.substring(dash + 1);
      return isValue(lo, min, max, field)
          && isValue(hi, min, max, field)
          && value(lo, field) <= value(hi, field);
    }
    return isValue(base, min, max, field);
  }

  private static final List<String> MONTHS =
      List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC");
  private static final List<String> DAYS = List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT");

  private static boolean isValue(String s, int min, int max, int field) {
    if (s.chars().allMatch(Character::isDigit)) {
      return isNumberIn(s, min, max);
    }
    return value(s, field) >= 0;
  }

  private static int value(String s, int field) {
    String upper = s.toUpperCase(Locale.ROOT);
    if (field == 3 && MONTHS.contains(upper)) {
      return MONTHS.indexOf(upper) + 1;
    }
    if (field == 4 && DAYS.contains(upper)) {
      return DAYS.indexOf(upper);
    }
    return s.chars().allMatch(Character::isDigit) && !s.isEmpty() && s.length() < 4
        ? Integer.parseInt(s)
        : -1;
  }

  private static boolean isNumberIn(String s, int min, int max) {
    if (s.isEmpty() || s.length() > 3 || !s.chars().allMatch(Character::isDigit)) {
      return false;
    }
    int v = Integer.parseInt(s);
    return v >= min && v <= max;
  }
}
