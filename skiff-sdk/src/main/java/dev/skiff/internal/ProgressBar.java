package dev.skiff.internal;

import java.io.Console;
import java.io.PrintStream;
import java.lang.reflect.Method;

/**
 * A one-line progress bar for long maps ({@code done/total, rate}), drawn on standard error only
 * when the program runs on a terminal. Used by one consuming thread.
 */
final class ProgressBar {
  private static final long MIN_INPUTS = 100;
  private static final long REDRAW_NANOS = 200_000_000L;

  private final String function;
  private final PrintStream out;
  private final long startNanos = System.nanoTime();
  private long lastDraw;
  private boolean drawn;

  private ProgressBar(String function, PrintStream out) {
    this.function = function;
    this.out = out;
  }

  static ProgressBar forMap(String function, boolean enabled) {
    return new ProgressBar(function, enabled && isTerminal() ? System.err : null);
  }

  void update(long done, long total) {
    if (out == null || done < MIN_INPUTS) {
      return;
    }
    long now = System.nanoTime();
    if (now - lastDraw < REDRAW_NANOS) {
      return;
    }
    lastDraw = now;
    draw(done, total, now);
  }

  void done(long done) {
    if (out != null && drawn) {
      draw(done, done, System.nanoTime());
      out.println();
    }
  }

  private void draw(long done, long total, long now) {
    double seconds = Math.max(1e-9, (now - startNanos) / 1e9);
    int width = 30;
    int filled = total > 0 ? (int) (width * done / total) : 0;
    String bar = "#".repeat(filled) + "-".repeat(width - filled);
    out.printf(
        "\r%s [%s] %d/%s %.0f/s",
        function, bar, done, total < 0 ? "?" : Long.toString(total), done / seconds);
    out.flush();
    drawn = true;
  }

  /**
   * Whether standard output is an interactive terminal (JDK 22's Console.isTerminal when there).
   */
  // Console.isTerminal, which tells a redirected output apart on JDK 22+, is looked up below.
  @SuppressWarnings("SystemConsoleNull")
  private static boolean isTerminal() {
    Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      Method m = Console.class.getMethod("isTerminal");
      return (Boolean) m.invoke(console);
    } catch (ReflectiveOperationException e) {
      return true; // JDK 21: System.console() is non-null only on a terminal
    }
  }
}
