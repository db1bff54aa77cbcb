package dev.skiff.bench;

import dev.skiff.AppRun;
import dev.skiff.FunctionCall;
import dev.skiff.RemoteFunction;
import dev.skiff.RunOptions;
import dev.skiff.testing.ServerProcess;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * The long-running server's path, as teams run it in production: an app deployed on a {@code skiff
 * server} (a child JVM) and called by name from this JVM, a separate client, over loopback with
 * TLS. Against the embedded control plane in this JVM (an {@code app.run()} before the server is
 * installed), each side on its own warm container, alternating:
 *
 * <ul>
 *   <li>sequential {@code remote} calls of a trivial function (latency);
 *   <li>an ordered {@code map} of trivial inputs, every result checked (throughput);
 *   <li>on the server only, durable {@code spawn}s from {@value #SPAWN_THREADS} threads: timed
 *       until every spawn was acknowledged (committed to the store), and until every result was
 *       read (the same threads reading).
 * </ul>
 */
final class ServerPathBenchmark {
  static final int SPAWN_THREADS = 16;

  static Measurement.ServerPath run(Sizes sizes, Cleanup scope) throws Exception {
    Progress progress = Progress.of("server_path");
    // The embedded side first, while no server is installed for this JVM.
    AppRun embedded = scope.register(BenchFunctions.EMBEDDED_PATH_APP.run(RunOptions.quiet()));
    ServerProcess server = scope.register(ServerProcess.startWithFullJit());
    progress.step("server started");
    try {
      server.useInThisJvm();
      BenchFunctions.SERVER_PATH_APP.deploy();
      RemoteFunction<String> echo =
          RemoteFunction.fromName("bench-server-path", "echo", String.class);
      RemoteFunction<Integer> inc =
          RemoteFunction.fromName("bench-server-path", "inc", Integer.class);
      check(echo.remote("warm"), "warm", "warm-up call on the server");
      check(BenchFunctions.embeddedPathEcho.remote("warm"), "warm", "warm-up call embedded");
      progress.step("deployed; containers warm");

      // Latency: sequential calls, rounds alternating between the sides.
      Function<String, String> onServer = x -> echo.remote(x);
      Function<String, String> onEmbedded = BenchFunctions.embeddedPathEcho::remote;
      calls(onServer, sizes.latencyWarmup());
      calls(onEmbedded, sizes.latencyWarmup());
      int perRound = sizes.latencyPerRound();
      long[] serverNanos = new long[perRound * sizes.latencyRounds()];
      long[] embeddedNanos = new long[perRound * sizes.latencyRounds()];
      for (int r = 0; r < sizes.latencyRounds(); r++) {
        timed(onServer, serverNanos, r * perRound, perRound);
        timed(onEmbedded, embeddedNanos, r * perRound, perRound);
      }
      progress.step("remote: " + serverNanos.length + " timed calls per side");

      // Throughput: ordered maps, alternating.
      List<String> inputs =
          IntStream.range(0, sizes.mapInputs()).mapToObj(i -> "input-%06d".formatted(i)).toList();
      map(echo::map, inputs.subList(0, Math.min(inputs.size(), sizes.mapWarmup())));
      map(
          BenchFunctions.embeddedPathEcho::map,
          inputs.subList(0, Math.min(inputs.size(), sizes.mapWarmup())));
      long serverMap = 0;
      long embeddedMap = 0;
      for (int r = 0; r < sizes.mapRounds(); r++) {
        serverMap += map(echo::map, inputs);
        embeddedMap += map(BenchFunctions.embeddedPathEcho::map, inputs);
      }
      progress.step("map: " + sizes.mapRounds() + " round(s) of " + inputs.size() + " per side");

      // Durable spawns on the server: acknowledged, then completed.
      int n = sizes.durableSpawns();
      long acked = 0;
      long completed = 0;
      ExecutorService pool = Executors.newFixedThreadPool(SPAWN_THREADS);
      try {
        spawnRound(inc, pool, n, sizes); // warm-up
        for (int r = 0; r < sizes.durableRounds(); r++) {
          long[] t = spawnRound(inc, pool, n, sizes);
          acked += t[0];
          completed += t[1];
        }
      } finally {
        pool.shutdownNow();
      }
      progress.step("spawn: " + sizes.durableRounds() + " round(s) of " + n);
      long spawned = (long) n * sizes.durableRounds();
      long mapped = (long) inputs.size() * sizes.mapRounds();
      return new Measurement.ServerPath(
          serverNanos.length,
          ColdStartBenchmark.percentileMs(serverNanos, 50) * 1000,
          ColdStartBenchmark.percentileMs(serverNanos, 99) * 1000,
          ColdStartBenchmark.percentileMs(embeddedNanos, 50) * 1000,
          ColdStartBenchmark.percentileMs(embeddedNanos, 99) * 1000,
          inputs.size(),
          sizes.mapRounds(),
          Measurement.perSecond(mapped, serverMap),
          Measurement.perSecond(mapped, embeddedMap),
          n,
          SPAWN_THREADS,
          sizes.durableRounds(),
          Measurement.perSecond(spawned, acked),
          Measurement.perSecond(spawned, completed));
    } finally {
      embedded.close();
      server.close();
      progress.step("server and run closed");
    }
  }

  private static void calls(Function<String, String> call, int n) {
    for (int i = 0; i < n; i++) {
      String x = "x" + i;
      check(call.apply(x), x, "a call's result");
    }
  }

  private static void timed(Function<String, String> call, long[] into, int from, int n) {
    for (int i = 0; i < n; i++) {
      String x = "x" + i;
      long start = System.nanoTime();
      String result = call.apply(x);
      into[from + i] = System.nanoTime() - start;
      check(result, x, "a call's result");
    }
  }

  private static long map(Function<List<String>, Stream<String>> map, List<String> inputs) {
    long start = System.nanoTime();
    List<String> results = map.apply(inputs).toList();
    long elapsed = System.nanoTime() - start;
    if (!results.equals(inputs)) {
      throw new IllegalStateException(
          "map returned "
              + results.size()
              + " results that are not its "
              + inputs.size()
              + " inputs, in order");
    }
    return elapsed;
  }

  /**
   * Spawns {@code inc(0..n-1)} from the pool; returns the nanoseconds until every spawn returned
   * and until every result was read (each checked).
   */
  private static long[] spawnRound(
      RemoteFunction<Integer> inc, ExecutorService pool, int n, Sizes sizes) throws Exception {
    long start = System.nanoTime();
    long deadline = start + sizes.phaseLimit().toNanos();
    List<Future<FunctionCall<Integer>>> spawns = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int x = i;
      spawns.add(pool.submit(() -> inc.spawn(x)));
    }
    List<FunctionCall<Integer>> calls = new ArrayList<>(n);
    for (Future<FunctionCall<Integer>> s : spawns) {
      calls.add(s.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
    }
    long acked = System.nanoTime() - start;
    List<Future<Integer>> results = new ArrayList<>(n);
    for (FunctionCall<Integer> call : calls) {
      results.add(pool.submit(() -> call.get()));
    }
    for (int i = 0; i < n; i++) {
      int got = results.get(i).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (got != i + 1) {
        throw new IllegalStateException("inc(" + i + ") returned " + got);
      }
    }
    return new long[] {acked, System.nanoTime() - start};
  }

  private static void check(String actual, String expected, String what) {
    if (!expected.equals(actual)) {
      throw new IllegalStateException(what + " was " + actual + ", not " + expected);
    }
  }

  private ServerPathBenchmark() {}
}
