package dev.skiff.server.runtime;

import dev.skiff.server.backend.ContainerHandle;
import java.util.List;
import java.util.Optional;

/**
 * Says in words why a container ended, for the error of each input it held: its exit code or
 * signal, "out of memory" when its stderr mentions {@code OutOfMemoryError}, the reason when the
 * control plane killed it, and the last lines of its stderr. Pure.
 *
 * @param containerId the container
 * @param exitCode the process exit code ({@code 128 + N} for signal {@code N})
 * @param stderrTail the last stderr lines, oldest first
 * @param killReason why the control plane killed the container, if it did
 */
public record ExitReport(
    String containerId, int exitCode, List<String> stderrTail, Optional<String> killReason) {
  /** How many stderr lines an error message quotes. */
  static final int QUOTED_LINES = 20;

  private static final int SIGKILL = 9;

  public ExitReport {
    stderrTail = List.copyOf(stderrTail);
  }

  /**
   * Whether the stderr tail shows that the JVM ran out of memory, by its own heap limit or by the
   * kernel's control-group limit.
   */
  boolean outOfMemory() {
    return stderrTail.stream()
        .anyMatch(
            l ->
                l.contains("OutOfMemoryError")
                    || l.startsWith(ContainerHandle.KILLED_FOR_MEMORY + ":"));
  }

  /** One sentence, e.g. "container c-abc123 was killed by signal 9 (SIGKILL)". */
  String cause() {
    String subject = "container " + containerId;
    if (outOfMemory()) {
      return subject + " ran out of memory (" + exitPhrase() + ")";
    }
    // A kill of ours ends the process with SIGKILL; any other code means it ended on its own first.
    if (killReason.isPresent() && exitCode == 128 + SIGKILL) {
      return subject + " was killed because " + killReason.get();
    }
    return subject + " " + exitPhrase();
  }

  /** The cause followed by the last (up to 20) stderr lines. */
  String message() {
    return cause() + quote(stderrTail);
  }

  /** "; last N stderr line(s):" and the last (up to 20) lines, or "" when there are none. */
  static String quote(List<String> stderrTail) {
    List<String> quoted =
        stderrTail.subList(Math.max(0, stderrTail.size() - QUOTED_LINES), stderrTail.size());
    if (quoted.isEmpty()) {
      return "";
    }
    StringBuilder m = new StringBuilder("; last ").append(quoted.size()).append(" stderr line(s):");
    quoted.forEach(l -> m.append("\n  ").append(l));
    return m.toString();
  }

  private String exitPhrase() {
    if (exitCode > 128 && exitCode < 128 + 65) {
      int signal = exitCode - 128;
      return "was killed by signal " + signal + signalName(signal);
    }
    return "exited with code " + exitCode;
  }

  private static String signalName(int signal) {
    return switch (signal) {
      case 1 -> " (SIGHUP)";
      case 2 -> " (SIGINT)";
      case 3 -> " (SIGQUIT)";
      case 4 -> " (SIGILL)";
      case 6 -> " (SIGABRT)";
      case 7 -> " (SIGBUS)";
      case 9 -> " (SIGKILL)";
      case 11 -> " (SIGSEGV)";
      case 13 -> " (SIGPIPE)";
      case 15 -> " (SIGTERM)";
      default -> "";
    };
  }
}
