package dev.skiff.server.backend;

/** Receives the lines that a container writes. Must not block for long. */
@FunctionalInterface
public interface OutputListener {
  /**
   * One line of output, without its line terminator. A backend hands on a long line in pieces of at
   * most 16 KiB of UTF-8, each but the last ending with {@code [skiff: line continues]}, so that no
   * line of unbounded length is ever held in memory.
   *
   * @param stderr whether the line came from stderr rather than stdout
   * @param text the line
   */
  void line(boolean stderr, String text);
}
