package dev.skiff.cli;

import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.LogLine;
import dev.skiff.proto.StreamLogsRequest;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Prints the lines of a {@code StreamLogs} call, as {@code app logs} and {@code container logs} do.
 */
final class LogLines {
  /** What {@code --tail} asks for by default: every line the server keeps. */
  static final int ALL = Integer.MAX_VALUE;

  private LogLines() {}

  /** Checks a {@code --tail} value: at least 1. */
  static void checkTail(int tail) {
    if (tail < 1) {
      throw new CliException("--tail is " + tail + "; it must be at least 1", 2);
    }
  }

  private static final Pattern AGO = Pattern.compile("(\\d+)([smhd])");

  /**
   * The time a {@code --since} value names: a duration back from now ({@code 30s}, {@code 10m},
   * {@code 2h}, {@code 1d}) or an instant ({@code 2026-11-28T04:00:00Z}).
   */
  static Instant since(String value, Instant now) {
    Matcher m = AGO.matcher(value);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      Duration back =
          switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
          };
      return now.minus(back);
    }
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw new CliException(
          "--since is '"
              + value
              + "'; use a duration such as 30s, 10m, 2h or 1d, or a UTC time"
              + " such as 2026-11-28T04:00:00Z",
          2);
    }
  }

  /** Prints the kept lines of {@code request}, then the live ones while the stream lasts. */
  static void print(
      SkiffClient client, StreamLogsRequest request, boolean timestamps, PrintWriter out) {
    try {
      Iterator<LogLine> lines = client.blocking().streamLogs(request);
      while (lines.hasNext()) {
        out.println(format(lines.next(), timestamps));
        out.flush();
      }
    } catch (RuntimeException e) {
      throw client.translate(e);
    }
  }

  /** {@code [function container] text}, with {@code !} after the bracket for stderr. */
  static String format(LogLine line, boolean timestamps) {
    String prefix =
        timestamps && line.getTimestampMs() > 0
            ? Instant.ofEpochMilli(line.getTimestampMs()) + " "
            : "";
    return prefix
        + "["
        + line.getFunctionName()
        + " "
        + line.getContainerId()
        + "]"
        + (line.getStderr() ? "! " : " ")
        + line.getText();
  }
}
