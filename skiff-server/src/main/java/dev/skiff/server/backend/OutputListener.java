package dev.skiff.server.backend;

/** Receives the lines that a container writes. Must not block for long. */
@FunctionalInterface
public interface OutputListener {
  /**
   * One line of output, without its line terminator.
   *
   * @param stderr whether the line came from stderr rather than stdout
   * @param text the line
   */
  void line(boolean stderr, String text);
}
