package dev.skiff.server.schedule;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A standard five-field cron expression ({@code minute hour day-of-month month day-of-week}) read
 * in a time zone, as Vixie cron reads it.
 *
 * <p><b>Fields.</b> Each field is a comma list of {@code *}, a value, a range {@code a-b}, or
 * either with a step ({@code *}{@code /n}, {@code a-b/n}, and {@code a/n} meaning {@code a-max/n}).
 * Minutes are 0-59, hours 0-23, days of month 1-31, months 1-12 or {@code JAN}-{@code DEC}, days of
 * week 0-7 or {@code SUN}-{@code SAT} (0 and 7 are Sunday); names are case-insensitive.
 *
 * <p><b>Days.</b> When both day fields are restricted (neither starts with {@code *}), a day
 * matches if <em>either</em> matches ({@code 0 0 1 * MON} is "the 1st and every Monday"); when one
 * starts with {@code *}, only the other restricts, so {@code 0 0 *}{@code /2 * MON} is "Mondays
 * that fall on an odd day of month".
 *
 * <p><b>Clock changes</b>, as Vixie cron handles them. A <em>fixed-time</em> expression (neither
 * the minute nor the hour field starts with {@code *}, like {@code 30 2 * * *}) fires once for each
 * matching local time: a time skipped when clocks go forward fires at the instant the clocks jump
 * (02:30 on a spring-forward night in New York fires at 03:00 EDT; several skipped times of one
 * jump fire once, together), and a time repeated when clocks go back fires at its first occurrence
 * only. An expression with {@code *} in the minute or hour field ({@code *}{@code /30 * * * *},
 * {@code 0 * * * *}) follows the wall clock: its times in the skipped hour do not fire, and its
 * times in the repeated hour fire at both occurrences, so "every 30 minutes" stays every 30 minutes
 * of real time. An expression that matches no date within ten years ({@code 0 0 30 2 *}) never
 * fires.
 *
 * <p><b>Design.</b> cron-utils (its UNIX definition) parses the fields and finds matching local
 * times, asked only about a timeline without clock changes (local times given to it as UTC). Three
 * things are done here: day and month names become numbers first (cron-utils reads {@code SUN} as
 * 7, which refuses {@code SUN-THU}); the "starts with {@code *}" day rule is the intersection of a
 * day-of-month-only and a day-of-week-only expression (cron-utils would match either); and the
 * zone's transitions are applied by walking the instant timeline one offset at a time (between two
 * transitions local time is the instant plus a fixed offset, so local matches come in instant
 * order).
 *
 * <p>Immutable and thread-safe.
 */
public final class CronSchedule implements Trigger {
  private static final CronParser PARSER =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final List<String> FIELDS =
      List.of("minute", "hour", "day-of-month", "month", "day-of-week");
  private static final int[][] RANGES = {{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}};
  private static final List<String> MONTHS =
      List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC");
  private static final List<String> DAYS = List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT");
  private static final Pattern WORD = Pattern.compile("[A-Za-z]+");
  private static final Pattern ALLOWED_CHARS = Pattern.compile("[0-9*/,-]");
  private static final Pattern ZERO_STEP = Pattern.compile("/0+(,|$)");

  /** How far ahead a match is looked for before the expression is taken to never fire. */
  private static final Duration HORIZON = ChronoUnit.YEARS.getDuration().multipliedBy(10);

  private final String expression;
  private final ZoneId zone;

  /** A local time matches when it matches every one of these (one, or two for the day rule). */
  private final List<ExecutionTime> parts;

  /** Neither minute nor hour starts with {@code *}: each local time fires once (class comment). */
  private final boolean fixedTime;

  private CronSchedule(String expression, ZoneId zone, List<ExecutionTime> parts, boolean fixed) {
    this.expression = expression;
    this.zone = zone;
    this.parts = parts;
    this.fixedTime = fixed;
  }

  /**
   * Parses an expression.
   *
   * @throws IllegalArgumentException naming the expression, the field, and what is allowed
   */
  static CronSchedule parse(String expression, ZoneId zone) {
    String[] f = expression.trim().split("\\s+");
    if (expression.isBlank() || f.length != 5) {
      throw new IllegalArgumentException(
          "cron '"
              + expression
              + "' has "
              + (expression.isBlank() ? 0 : f.length)
              + " fields; allowed is 5 (minute hour day-of-month month day-of-week)");
    }
    String[] numeric = new String[5];
    for (int i = 0; i < 5; i++) {
      numeric[i] = checkedField(expression, i, f[i]);
    }
    List<ExecutionTime> parts = new ArrayList<>();
    boolean domStar = f[2].startsWith("*");
    boolean dowStar = f[4].startsWith("*");
    if ((domStar || dowStar) && !f[2].equals("*") && !f[4].equals("*")) {
      parts.add(executionTime(numeric, numeric[2], "*"));
      parts.add(executionTime(numeric, "*", numeric[4]));
    } else {
      parts.add(executionTime(numeric, numeric[2], numeric[4]));
    }
    boolean fixedTime = !f[0].startsWith("*") && !f[1].startsWith("*");
    return new CronSchedule(expression, zone, List.copyOf(parts), fixedTime);
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
    ZonedDateTime at = t.truncatedTo(ChronoUnit.MINUTES).atZone(ZoneOffset.UTC);
    return parts.stream().allMatch(p -> p.isMatch(at));
  }

  @Override
  public Optional<Instant> nextAfter(Instant after) {
    ZoneRules rules = zone.getRules();
    LocalDateTime limit = LocalDateTime.ofInstant(after, ZoneOffset.UTC).plus(HORIZON);
    // The segment of the instant timeline from `from` to the next transition has one offset.
    Instant from = after;
    ZoneOffset offset = rules.getOffset(after);
    LocalDateTime lower = LocalDateTime.ofInstant(after, offset); // local matches strictly after
    ZoneOffsetTransition previous = rules.previousTransition(after.plusNanos(1));
    while (true) {
      ZoneOffsetTransition next = rules.nextTransition(from);
      // Local times before `repeatedUntil` in this segment already occurred before the clocks
      // went back (at the earlier offset); a fixed-time expression fired for them then.
      if (fixedTime && previous != null && previous.isOverlap()) {
        LocalDateTime repeatedUntil = previous.getDateTimeBefore();
        if (lower.isBefore(repeatedUntil)) {
          lower = repeatedUntil.minusMinutes(1);
        }
      }
      Optional<LocalDateTime> match = nextLocal(lower, limit);
      if (match.isEmpty()) {
        return Optional.empty();
      }
      if (next == null || match.get().isBefore(next.getDateTimeBefore())) {
        return Optional.of(match.get().toInstant(offset));
      }
      if (fixedTime && next.isGap() && match.get().isBefore(next.getDateTimeAfter())) {
        return Optional.of(next.getInstant()); // a skipped local time fires when the clocks jump
      }
      from = next.getInstant();
      offset = next.getOffsetAfter();
      lower = next.getDateTimeAfter().minusMinutes(1);
      previous = next;
    }
  }

  /**
   * The first local time strictly after {@code after} that matches every part, on a timeline
   * without clock changes, or empty if there is none up to {@code limit}.
   */
  private Optional<LocalDateTime> nextLocal(LocalDateTime after, LocalDateTime limit) {
    LocalDateTime t = after;
    while (true) {
      LocalDateTime latest = null;
      boolean agree = true;
      for (ExecutionTime part : parts) {
        Optional<ZonedDateTime> next = part.nextExecution(t.atZone(ZoneOffset.UTC));
        if (next.isEmpty() || next.get().toLocalDateTime().isAfter(limit)) {
          return Optional.empty();
        }
        LocalDateTime n = next.get().toLocalDateTime();
        agree &= latest == null || n.equals(latest);
        latest = latest == null || n.isAfter(latest) ? n : latest;
      }
      if (agree) {
        return Optional.of(latest);
      }
      // No common match before the latest of the parts' next matches: look from there.
      t = latest.minusMinutes(1);
    }
  }

  @Override
  public String toString() {
    return "cron '" + expression + "' in " + zone;
  }

  private static ExecutionTime executionTime(
      String[] numeric, String dayOfMonth, String dayOfWeek) {
    String cron = String.join(" ", numeric[0], numeric[1], dayOfMonth, numeric[3], dayOfWeek);
    return ExecutionTime.forCron(PARSER.parse(cron));
  }

  /**
   * Field {@code i} with its names replaced by numbers, once cron-utils accepts it.
   *
   * @throws IllegalArgumentException naming the expression, the field, and what is allowed
   */
  private static String checkedField(String expression, int i, String field) {
    List<String> names = i == 3 ? MONTHS : i == 4 ? DAYS : List.of();
    int base = i == 3 ? 1 : 0;
    Matcher words = WORD.matcher(field);
    StringBuilder numeric = new StringBuilder();
    while (words.find()) {
      int named = names.indexOf(words.group().toUpperCase(Locale.ROOT));
      if (named < 0) {
        throw invalidField(
            expression,
            i,
            field,
            "'" + words.group() + "' is not a number" + (names.isEmpty() ? "" : " or a name"));
      }
      words.appendReplacement(numeric, Integer.toString(named + base));
    }
    String result = words.appendTail(numeric).toString();
    String other = ALLOWED_CHARS.matcher(result).replaceAll("");
    if (!other.isEmpty()) {
      throw invalidField(expression, i, field, "'" + other.charAt(0) + "' is not allowed");
    }
    if (result.startsWith(",") || result.endsWith(",") || result.contains(",,")) {
      throw invalidField(expression, i, field, "it has an empty list element");
    }
    if (ZERO_STEP.matcher(result).find()) {
      throw invalidField(expression, i, field, "a step must be at least 1");
    }
    String[] alone = {"*", "*", "*", "*", "*"};
    alone[i] = result;
    try {
      PARSER.parse(String.join(" ", alone));
    } catch (IllegalArgumentException e) {
      String reason =
          String.valueOf(e.getMessage()).replace("Failed to parse cron expression. ", "");
      throw invalidField(expression, i, field, reason);
    }
    return result;
  }

  private static IllegalArgumentException invalidField(
      String expression, int i, String field, String reason) {
    List<String> names = i == 3 ? MONTHS : i == 4 ? DAYS : List.of();
    return new IllegalArgumentException(
        "cron '"
            + expression
            + "' has an invalid "
            + FIELDS.get(i)
            + " field '"
            + field
            + "': "
            + reason
            + "; allowed is *, a value in "
            + RANGES[i][0]
            + ".."
            + RANGES[i][1]
            + (names.isEmpty() ? "" : " or a name " + names.getFirst() + ".." + names.getLast())
            + ", a range a-b, a step */n, a-b/n or a/n, or a comma list of those");
  }
}
