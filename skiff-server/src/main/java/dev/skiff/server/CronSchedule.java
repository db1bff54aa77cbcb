package dev.skiff.server;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A standard five-field cron expression ({@code minute hour day-of-month month day-of-week}) read
 * in a time zone, as Vixie cron reads it.
 *
 * <p><b>Fields.</b> Each field is a comma list of {@code *}, a value, a range {@code a-b}, or
 * either with a step ({@code *}{@code /n}, {@code a-b/n}, and {@code a/n} meaning {@code a-max/n}).
 * Minutes are 0-59, hours 0-23, days of month 1-31, months 1-12 or {@code JAN}-{@code DEC}, days
 * of week 0-7 or {@code SUN}-{@code SAT} (0 and 7 are Sunday); names are case-insensitive.
 *
 * <p><b>Days.</b> When both day fields are restricted (neither starts with {@code *}), a day
 * matches if <em>either</em> matches ({@code 0 0 1 * MON} is "the 1st and every Monday"); when one
 * starts with {@code *}, only the other restricts.
 *
 * <p><b>Time zone changes.</b> Fire times are local times in the zone. A local time skipped when
 * clocks go forward fires at the corresponding instant after the gap (02:30 becomes 03:30), once;
 * a local time repeated when clocks go back fires once, at its first occurrence. An expression that
 * matches no date within ten years (say {@code 0 0 30 2 *}) never fires.
 *
 * <p>Immutable and thread-safe.
 */
final class CronSchedule implements Trigger {
  private static final List<String> MONTHS =
      List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC");
  private static final List<String> DAYS = List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT");

  private final String expression;
  private final ZoneId zone;
  private final BitSet minutes;
  private final BitSet hours;
  private final BitSet daysOfMonth;
  private final BitSet months;
  private final BitSet daysOfWeek;
  private final boolean dayOfMonthStar;
  private final boolean dayOfWeekStar;

  private CronSchedule(String expression, ZoneId zone, String[] f) {
    this.expression = expression;
    this.zone = zone;
    this.minutes = field(expression, "minute", f[0], 0, 59, List.of(), 0);
    this.hours = field(expression, "hour", f[1], 0, 23, List.of(), 0);
    this.daysOfMonth = field(expression, "day-of-month", f[2], 1, 31, List.of(), 0);
    this.months = field(expression, "month", f[3], 1, 12, MONTHS, 1);
    this.daysOfWeek = field(expression, "day-of-week", f[4], 0, 7, DAYS, 0);
    if (daysOfWeek.get(7)) {
      daysOfWeek.set(0);
    }
    this.dayOfMonthStar = f[2].startsWith("*");
    this.dayOfWeekStar = f[4].startsWith("*");
  }

  /**
   * Parses an expression.
   *
   * @throws IllegalArgumentException naming the expression, the field, and what is allowed
   */
  static CronSchedule parse(String expression, ZoneId zone) {
    String[] fields = expression.trim().split("\\s+");
    if (expression.isBlank() || fields.length != 5) {
      throw new IllegalArgumentException(
          "cron '" + expression + "' has " + (expression.isBlank() ? 0 : fields.length)
              + " fields; allowed is 5 (minute hour day-of-month month day-of-week)");
    }
    return new CronSchedule(expression, zone, fields);
  }

  /** The expression as given. */
  String expression() {
    return expression;
  }

  /** The zone the expression is read in. */
  ZoneId zone() {
    return zone;
  }

  /** Whether a local date and time (seconds ignored) matches. */
  boolean matches(LocalDateTime t) {
    return minutes.get(t.getMinute())
        && hours.get(t.getHour())
        && months.get(t.getMonthValue())
        && dayMatches(t.toLocalDate());
  }

  private boolean dayMatches(LocalDate d) {
    boolean dom = daysOfMonth.get(d.getDayOfMonth());
    boolean dow = daysOfWeek.get(d.getDayOfWeek().getValue() % 7);
    return dayOfMonthStar || dayOfWeekStar ? dom && dow : dom || dow;
  }

  @Override
  public Optional<Instant> nextAfter(Instant after) {
    LocalDateTime t =
        LocalDateTime.ofInstant(after, zone).truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
    LocalDateTime limit = t.plusYears(10);
    while (t.isBefore(limit)) {
      if (!months.get(t.getMonthValue())) {
        t = t.toLocalDate().withDayOfMonth(1).plusMonths(1).atStartOfDay();
      } else if (!dayMatches(t.toLocalDate())) {
        t = t.toLocalDate().plusDays(1).atStartOfDay();
      } else if (!hours.get(t.getHour())) {
        t = t.truncatedTo(ChronoUnit.HOURS).plusHours(1);
      } else if (!minutes.get(t.getMinute())) {
        t = t.plusMinutes(1);
      } else {
        // A local time in a gap resolves to the instant after the gap; in an overlap, to the
        // earlier offset (whose instant may lie before `after`: then keep looking).
        Instant at = t.atZone(zone).toInstant();
        if (at.isAfter(after)) {
          return Optional.of(at);
        }
        t = t.plusMinutes(1);
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return "cron '" + expression + "' in " + zone;
  }

  private static BitSet field(
      String expression, String name, String field, int min, int max, List<String> names, int base) {
    BitSet bits = new BitSet(max + 1);
    for (String part : field.split(",", -1)) {
      try {
        addPart(bits, part, min, max, names, base);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "cron '" + expression + "' has an invalid " + name + " field '" + field + "': "
                + e.getMessage() + "; allowed is *, a value in " + min + ".." + max
                + (names.isEmpty() ? "" : " or a name " + names.get(0) + ".." + names.getLast())
                + ", a range a-b, a step */n, a-b/n or a/n, or a comma list of those");
      }
    }
    return bits;
  }

  private static void addPart(
      BitSet bits, String part, int min, int max, List<String> names, int base) {
    int step = 1;
    String range = part;
    int slash = part.indexOf('/');
    if (slash >= 0) {
      step = number(part.substring(slash + 1), "step");
      if (step < 1) {
        throw new IllegalArgumentException("step " + step + " is less than 1");
      }
      range = part.substring(0, slash);
    }
    int lo;
    int hi;
    if (range.equals("*")) {
      lo = min;
      hi = max;
    } else {
      int dash = range.indexOf('-');
      if (dash >= 0) {
        lo = value(range.substring(0, dash), names, base);
        hi = value(range.substring(dash + 1), names, base);
        if (lo > hi) {
          throw new IllegalArgumentException("range " + range + " runs backwards");
        }
      } else {
        lo = value(range, names, base);
        hi = slash >= 0 ? max : lo;
      }
    }
    if (lo < min || hi > max) {
      throw new IllegalArgumentException("'" + part + "' is out of range");
    }
    for (int v = lo; v <= hi; v += step) {
      bits.set(v);
    }
  }

  private static int value(String s, List<String> names, int base) {
    int named = names.indexOf(s.toUpperCase(Locale.ROOT));
    if (named >= 0) {
      return named + base;
    }
    return number(s, "value");
  }

  private static int number(String s, String what) {
    if (s.isEmpty() || s.length() > 4 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException(what + " '" + s + "' is not a number");
    }
    return Integer.parseInt(s);
  }
}
