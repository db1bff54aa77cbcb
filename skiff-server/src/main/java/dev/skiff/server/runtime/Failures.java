package dev.skiff.server.runtime;

import dev.skiff.proto.ErrorInfo;
import dev.skiff.proto.ErrorKind;
import dev.skiff.proto.Result;
import java.time.Duration;

/** The errors that the control plane itself produces for inputs. */
public final class Failures {
  private Failures() {}

  public static Result result(ErrorInfo error) {
    return Result.newBuilder().setError(error).build();
  }

  public static ErrorInfo error(ErrorKind kind, String message) {
    return ErrorInfo.newBuilder().setKind(kind).setMessage(message).build();
  }

  public static Result cancelled(String message) {
    return result(error(ErrorKind.CANCELLED, message));
  }

  /** "function 'f' timed out after 2s (attempt 1 of 2)". */
  static ErrorInfo timeout(
      String function, Duration timeout, int attempt, int maxAttempts, String containerId) {
    return ErrorInfo.newBuilder()
        .setKind(ErrorKind.TIMEOUT)
        .setMessage(
            "function '"
                + function
                + "' timed out after "
                + format(timeout)
                + " (attempt "
                + attempt
                + " of "
                + maxAttempts
                + ")")
        .setContainerId(containerId)
        .build();
  }

  static ErrorInfo crashed(String function, ExitReport report) {
    return ErrorInfo.newBuilder()
        .setKind(ErrorKind.CONTAINER_CRASHED)
        .setMessage("function '" + function + "' failed: " + report.message())
        .setContainerId(report.containerId())
        .setExitCode(report.exitCode())
        .build();
  }

  /** A duration as people write it: "2s", "1500ms", "5m", "2h". */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 1000 != 0) {
      return ms + "ms";
    }
    long s = ms / 1000;
    if (s >= 3600 && s % 3600 == 0) {
      return (s / 3600) + "h";
    }
    if (s >= 60 && s % 60 == 0) {
      return (s / 60) + "m";
    }
    return s + "s";
  }
}
