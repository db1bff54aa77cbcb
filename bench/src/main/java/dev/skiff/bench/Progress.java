package dev.skiff.bench;

import java.util.Locale;

/**
 * Progress lines on stderr, so that stdout holds only the report. They time the steps inside a
 * phase, which shows where a slow phase spends its time. Thread-safe.
 */
final class Progress {
  private final String phase;
  private long stepStart = System.nanoTime();

  private Progress(String phase) {
    this.phase = phase;
  }

  static Progress of(String phase) {
    return new Progress(phase);
  }

  /** Prints {@code step} and the seconds since the previous step (or the start). */
  synchronized void step(String step) {
    long now = System.nanoTime();
    System.err.printf(
        Locale.ROOT, "bench:   %s: %s (%.1f s)%n", phase, step, (now - stepStart) / 1e9);
    stepStart = now;
  }
}
