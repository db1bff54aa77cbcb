package dev.skiff.bench;

import dev.skiff.AppRun;
import dev.skiff.RunOptions;
import java.io.IOException;
import java.util.Arrays;

/**
 * Cold start: the wall time of the first {@code remote} call of a freshly started app, whose
 * function has no container yet, so the call includes starting a container JVM, initialising the
 * function's class and running it. Each sample is a new {@code app.run()} (a new embedded control
 * plane), closed before the next. The baseline is a bare {@code java -cp <dir> Hello} launch on the
 * same JDK, timed to its output line. One untimed sample of each comes first (it fills the file
 * cache); then the two alternate.
 */
final class ColdStartBenchmark {
  private static final String ARGUMENT = "cold";

  static Measurement.ColdStart run(Sizes sizes, Cleanup scope)
      throws IOException, InterruptedException {
    Progress progress = Progress.of("cold_start");
    HelloWorldLauncher hello = HelloWorldLauncher.create(scope);
    progress.step("Hello compiled");
    skiffSample(scope);
    hello.launchNanos();
    progress.step("untimed samples");
    int n = sizes.coldSamples();
    long[] skiff = new long[n];
    long[] runStart = new long[n];
    long[] baseline = new long[n];
    for (int i = 0; i < n; i++) {
      if (i % 2 == 0) {
        long[] s = skiffSample(scope);
        runStart[i] = s[0];
        skiff[i] = s[1];
        baseline[i] = hello.launchNanos();
      } else {
        baseline[i] = hello.launchNanos();
        long[] s = skiffSample(scope);
        runStart[i] = s[0];
        skiff[i] = s[1];
      }
      progress.step(
          "sample %d of %d: Skiff %.0f ms, hello %.0f ms"
              .formatted(i + 1, n, skiff[i] / 1e6, baseline[i] / 1e6));
    }
    return new Measurement.ColdStart(
        n,
        percentileMs(skiff, 50),
        percentileMs(skiff, 99),
        percentileMs(baseline, 50),
        percentileMs(baseline, 99),
        percentileMs(runStart, 50));
  }

  /** Returns the nanoseconds of {@code app.run()} and of the first call. */
  @SuppressWarnings("try") // the run is only held open
  private static long[] skiffSample(Cleanup scope) {
    long runStart = System.nanoTime();
    try (AppRun run = scope.register(BenchFunctions.COLD_APP.run(RunOptions.quiet()))) {
      long start = System.nanoTime();
      String result = BenchFunctions.coldEcho.remote(ARGUMENT);
      long elapsed = System.nanoTime() - start;
      if (!ARGUMENT.equals(result)) {
        throw new IllegalStateException("remote returned '" + result + "' instead of its argument");
      }
      return new long[] {start - runStart, elapsed};
    }
  }

  /** The nearest-rank percentile of {@code nanos}, in milliseconds. */
  static double percentileMs(long[] nanos, double percentile) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(percentile / 100.0 * sorted.length);
    return sorted[Math.clamp(rank - 1, 0, sorted.length - 1)] / 1e6;
  }

  private ColdStartBenchmark() {}
}
