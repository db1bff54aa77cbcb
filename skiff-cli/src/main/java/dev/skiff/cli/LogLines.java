package dev.skiff.cli;

import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.LogLine;
import dev.skiff.proto.StreamLogsRequest;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.Iterator;

/** Prints the lines of a {@code StreamLogs} call, as {@code app logs} and {@code container logs} do. */
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
