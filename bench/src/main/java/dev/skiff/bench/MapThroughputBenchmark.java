package dev.skiff.bench;

import dev.skiff.AppRun;
import dev.skiff.RunOptions;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Ordered {@code map} throughput: one call per input of a trivial function, results read in input
 * order and checked, against a bare gRPC bidirectional stream that echoes the same payloads, one
 * message per input, to a separate JVM. Both sides warm up with a smaller run first (which also
 * lets Skiff scale its containers up); then they alternate in rounds.
 */
final class MapThroughputBenchmark {

  static Measurement.MapThroughput run(Sizes sizes, Cleanup scope, EchoBaseline echo)
      throws InterruptedException {
    List<String> inputs =
        IntStream.range(0, sizes.mapInputs()).mapToObj(i -> "input-%06d".formatted(i)).toList();
    List<byte[]> payloads = inputs.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
    int warmup = sizes.mapWarmup();
    Progress progress = Progress.of("map_throughput");
    try (AppRun run = scope.register(BenchFunctions.THROUGHPUT_APP.run(RunOptions.quiet()))) {
      // Warm-up passes over the inputs (the last one partial) until `warmup` have run: the first
      // starts the containers, the rest let both sides' JIT compilers finish.
      for (int done = 0; done < warmup; done += inputs.size()) {
        int n = Math.min(inputs.size(), warmup - done);
        skiffMap(inputs.subList(0, n));
        baselineStream(echo, payloads.subList(0, n), sizes);
      }
      progress.step("warm-up: " + warmup + " inputs per side (with container starts)");
      long skiffNanos = 0;
      long baselineNanos = 0;
      for (int round = 0; round < sizes.mapRounds(); round++) {
        if (round % 2 == 0) {
          skiffNanos += skiffMap(inputs);
          baselineNanos += baselineStream(echo, payloads, sizes);
        } else {
          baselineNanos += baselineStream(echo, payloads, sizes);
          skiffNanos += skiffMap(inputs);
        }
        progress.step("round " + (round + 1) + " of " + sizes.mapRounds());
      }
      run.close();
      progress.step("app run closed");
      long total = (long) inputs.size() * sizes.mapRounds();
      return new Measurement.MapThroughput(
          inputs.size(),
          sizes.mapRounds(),
          Measurement.perSecond(total, skiffNanos),
          Measurement.perSecond(total, baselineNanos));
    }
  }

  /** One ordered map over {@code inputs}, every result checked; returns its nanoseconds. */
  private static long skiffMap(List<String> inputs) {
    long start = System.nanoTime();
    int seen = 0;
    try (Stream<String> results = BenchFunctions.throughputEcho.map(inputs)) {
      Iterator<String> it = results.iterator();
      while (it.hasNext()) {
        String result = it.next();
        if (seen >= inputs.size() || !inputs.get(seen).equals(result)) {
          throw new IllegalStateException(
              "map result " + seen + " was '" + result + "', not the input at that position");
        }
        seen++;
      }
    }
    long elapsed = System.nanoTime() - start;
    if (seen != inputs.size()) {
      throw new IllegalStateException(
          "map returned " + seen + " results for " + inputs.size() + " inputs");
    }
    return elapsed;
  }

  /** One echo stream of {@code payloads}, every reply awaited; returns its nanoseconds. */
  private static long baselineStream(EchoBaseline echo, List<byte[]> payloads, Sizes sizes)
      throws InterruptedException {
    long start = System.nanoTime();
    long replies = echo.stream(payloads, sizes.phaseLimit());
    long elapsed = System.nanoTime() - start;
    if (replies != payloads.size()) {
      throw new IllegalStateException(
          "the echo stream returned " + replies + " replies for " + payloads.size() + " messages");
    }
    return elapsed;
  }

  private MapThroughputBenchmark() {}
}
