package dev.skiff.bench;

import dev.skiff.AppRun;
import dev.skiff.RunOptions;
import java.nio.charset.StandardCharsets;
import org.HdrHistogram.Histogram;

/**
 * Warm {@code remote} latency: a trivial function on a warm container, called sequentially, against
 * a bare gRPC unary echo of the same payload to a separate JVM. Both sides warm up first; then they
 * alternate in rounds (who goes first alternates too), so that the machine's noise falls on both.
 */
final class RemoteLatencyBenchmark {
  private static final String PAYLOAD = "hello, skiff";

  static Measurement.RemoteLatency run(Sizes sizes, Cleanup scope, EchoBaseline echo) {
    Progress progress = Progress.of("remote_latency");
    byte[] bytes = PAYLOAD.getBytes(StandardCharsets.UTF_8);
    try (AppRun run = scope.register(BenchFunctions.LATENCY_APP.run(RunOptions.quiet()))) {
      check(BenchFunctions.latencyEcho.remote(PAYLOAD));
      progress.step("app started, first call (cold) done");
      for (int i = 0; i < sizes.latencyWarmup(); i++) {
        check(BenchFunctions.latencyEcho.remote(PAYLOAD));
        echo.unary(bytes);
      }
      progress.step("warmed up: " + sizes.latencyWarmup() + " calls per side");
      Histogram skiff = new Histogram(3);
      Histogram baseline = new Histogram(3);
      for (int round = 0; round < sizes.latencyRounds(); round++) {
        if (round % 2 == 0) {
          skiffRound(sizes.latencyPerRound(), skiff);
          baselineRound(sizes.latencyPerRound(), bytes, echo, baseline);
        } else {
          baselineRound(sizes.latencyPerRound(), bytes, echo, baseline);
          skiffRound(sizes.latencyPerRound(), skiff);
        }
        progress.step("round " + (round + 1) + " of " + sizes.latencyRounds());
      }
      run.close();
      progress.step("app run closed");
      return new Measurement.RemoteLatency(
          skiff.getTotalCount(),
          skiff.getValueAtPercentile(50),
          skiff.getValueAtPercentile(99),
          skiff.getValueAtPercentile(99.9),
          baseline.getValueAtPercentile(50),
          baseline.getValueAtPercentile(99),
          baseline.getValueAtPercentile(99.9));
    }
  }

  private static void skiffRound(int calls, Histogram micros) {
    for (int i = 0; i < calls; i++) {
      long start = System.nanoTime();
      String result = BenchFunctions.latencyEcho.remote(PAYLOAD);
      micros.recordValue((System.nanoTime() - start) / 1_000);
      check(result);
    }
  }

  private static void baselineRound(int calls, byte[] bytes, EchoBaseline echo, Histogram micros) {
    for (int i = 0; i < calls; i++) {
      long start = System.nanoTime();
      byte[] result = echo.unary(bytes);
      micros.recordValue((System.nanoTime() - start) / 1_000);
      if (result.length != bytes.length) {
        throw new IllegalStateException("the echo returned " + result.length + " bytes");
      }
    }
  }

  private static void check(String result) {
    if (!PAYLOAD.equals(result)) {
      throw new IllegalStateException("remote returned '" + result + "' instead of the argument");
    }
  }

  private RemoteLatencyBenchmark() {}
}
