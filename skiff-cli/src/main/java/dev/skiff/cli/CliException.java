package dev.skiff.cli;

/** A failure the command reports as one line, with its exit code. */
final class CliException extends RuntimeException {
  private final int exitCode;

  CliException(String message) {
    this(message, 1);
  }

  CliException(String message, int exitCode) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }
}
