package dev.skiff.cli;

import dev.skiff.proto.StreamLogsRequest;
import java.time.Instant;
import picocli.CommandLine.Option;

/**
 * The options that {@code app logs} and {@code container logs} share: which kept lines to print and
 * how. A picocli mixin; each command adds its own {@code --follow}.
 */
final class LogOptions {
  @Option(
      names = {"-n", "--tail"},
      paramLabel = "N",
      description = "Print only the newest N kept lines (default: all that are kept).")
  Integer tail;

  @Option(
      names = "--since",
      paramLabel = "WHEN",
      description =
          "Print only kept lines received since WHEN: a duration back from now (30s, 10m, 2h,"
              + " 1d) or a UTC time (2026-11-28T04:00:00Z).")
  String since;

  @Option(
      names = {"-t", "--timestamps"},
      description = "Start each line with the time the server received it (UTC).")
  boolean timestamps;

  /**
   * A request for the kept lines these options select, then the live ones if {@code follow}.
   *
   * @throws CliException if {@code --tail} or {@code --since} is not allowed
   */
  StreamLogsRequest.Builder request(boolean follow) {
    int lines = tail == null ? LogLines.ALL : tail;
    LogLines.checkTail(lines);
    long sinceMs = since == null ? 0 : LogLines.since(since, Instant.now()).toEpochMilli();
    return StreamLogsRequest.newBuilder().setTail(lines).setSinceMs(sinceMs).setKeptOnly(!follow);
  }
}
