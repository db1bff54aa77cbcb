package dev.skiff.bench;

import dev.skiff.App;
import dev.skiff.AppRun;
import dev.skiff.Function1;
import dev.skiff.RunOptions;
import dev.skiff.internal.Connection;
import dev.skiff.internal.spi.ControlPlaneFactory;
import dev.skiff.internal.spi.EmbeddedConfig;
import dev.skiff.internal.spi.EmbeddedControlPlane;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.ServiceLoader;

/**
 * Cold start: the wall time of the first {@code remote} call of a freshly started app, whose
 * function has no container yet, so the call includes getting a container, initialising the
 * function's class and running it. Two ways are measured:
 *
 * <ul>
 *   <li><b>pooled</b> (the headline figure): one long-lived control plane, as a server or a
 *       long-running program has, with another app on the same classpath running throughout (the
 *       pool keeps warm containers for a classpath while an app uses it); each sample is a new run
 *       of the app on it, whose function takes a warm container (started ahead of need, without a
 *       function) and binds it. The same for a function with an image of its own, while another app
 *       on that image runs: the pool keeps warm containers started on the image. The samples are
 *       paced so that the pool has refilled in between, as it has between bursts in real use.
 *   <li><b>fresh</b>: each sample is a new {@code app.run()} with its own new embedded control
 *       plane, so the call also waits for a container JVM to start from nothing.
 * </ul>
 *
 * The baseline is a bare {@code java -cp <dir> Hello} launch on the same JDK, timed to its output
 * line. One untimed sample of each comes first (it fills the file cache); then they alternate.
 */
final class ColdStartBenchmark {
  private static final String ARGUMENT = "cold";

  /** How long the pooled samples wait for the pool to refill (a JVM start, with margin). */
  private static final Duration REFILL_PAUSE = Duration.ofSeconds(4);

  @SuppressWarnings("try") // the holder run is only held open
  static Measurement.ColdStart run(Sizes sizes, Cleanup scope)
      throws IOException, InterruptedException {
    Progress progress = Progress.of("cold_start");
    HelloWorldLauncher hello = HelloWorldLauncher.create(scope);
    progress.step("Hello compiled");
    skiffSample(scope);
    hello.launchNanos();
    progress.step("untimed samples");
    int n = sizes.coldSamples();
    long[] fresh = new long[n];
    long[] runStart = new long[n];
    long[] baseline = new long[n];
    for (int i = 0; i < n; i++) {
      if (i % 2 == 0) {
        long[] s = skiffSample(scope);
        runStart[i] = s[0];
        fresh[i] = s[1];
        baseline[i] = hello.launchNanos();
      } else {
        baseline[i] = hello.launchNanos();
        long[] s = skiffSample(scope);
        runStart[i] = s[0];
        fresh[i] = s[1];
      }
      progress.step(
          "fresh sample %d of %d: Skiff %.0f ms, hello %.0f ms"
              .formatted(i + 1, n, fresh[i] / 1e6, baseline[i] / 1e6));
    }
    long[] pooled = new long[n];
    EmbeddedControlPlane plane =
        ServiceLoader.load(ControlPlaneFactory.class)
            .findFirst()
            .orElseThrow()
            .start(EmbeddedConfig.defaults());
    Connection.installDefault(plane.target(), plane.token());
    // Another app on the same classpath runs throughout, as on a server or in a long-running
    // program: the pool keeps warm containers for a classpath only while an app uses it.
    long[] imagePooled = new long[n];
    try (AppRun holder = scope.register(BenchFunctions.IDLE_APP.run(RunOptions.quiet()));
        AppRun imageHolder =
            scope.register(BenchFunctions.IMAGE_HOLDER_APP.run(RunOptions.quiet()))) {
      Thread.sleep(REFILL_PAUSE.toMillis()); // the first warm container starts with the first app
      skiffSample(scope); // untimed: it also starts the pool for this classpath
      imageSample(scope);
      for (int i = 0; i < n; i++) {
        Thread.sleep(REFILL_PAUSE.toMillis()); // both pools refill meanwhile
        pooled[i] = skiffSample(scope)[1];
        imagePooled[i] = imageSample(scope);
        progress.step(
            "pooled sample %d of %d: Skiff %.0f ms, with an image %.0f ms"
                .formatted(i + 1, n, pooled[i] / 1e6, imagePooled[i] / 1e6));
      }
    } finally {
      Connection.clearDefault();
      plane.close();
    }
    return new Measurement.ColdStart(
        n,
        percentileMs(pooled, 50),
        percentileMs(pooled, 99),
        percentileMs(baseline, 50),
        percentileMs(baseline, 99),
        percentileMs(runStart, 50),
        percentileMs(fresh, 50),
        percentileMs(fresh, 99),
        percentileMs(imagePooled, 50),
        percentileMs(imagePooled, 99));
  }

  /** Returns the nanoseconds of {@code app.run()} and of the first call, for the cold app. */
  static long[] skiffSample(Cleanup scope) {
    return sample(scope, BenchFunctions.COLD_APP, BenchFunctions.coldEcho);
  }

  /** The nanoseconds of the first call, for the app whose function has an image of its own. */
  private static long imageSample(Cleanup scope) {
    return sample(scope, BenchFunctions.COLD_IMAGE_APP, BenchFunctions.coldImageEcho)[1];
  }

  /** Returns the nanoseconds of {@code app.run()} and of {@code echo}'s first call. */
  @SuppressWarnings("try") // the run is only held open
  private static long[] sample(Cleanup scope, App app, Function1<String, String> echo) {
    long runStart = System.nanoTime();
    try (AppRun run = scope.register(app.run(RunOptions.quiet()))) {
      long start = System.nanoTime();
      String result = echo.remote(ARGUMENT);
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
