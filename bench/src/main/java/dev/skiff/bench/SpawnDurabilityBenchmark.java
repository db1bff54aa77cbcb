package dev.skiff.bench;

import dev.skiff.AppRun;
import dev.skiff.Function1;
import dev.skiff.FunctionCall;
import dev.skiff.RunOptions;
import dev.skiff.testing.ServerProcess;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * What durability costs a {@code spawn}: rounds of concurrent spawns on the long-running server,
 * which commits each input to its store before the spawn returns (grouping concurrent commits),
 * against the same rounds on an embedded control plane, which keeps inputs in memory only. Both run
 * in this JVM's run at once, each with its own warm container; after warm-up rounds on each side,
 * the timed rounds alternate. A round is timed from the first spawn to the last one returning;
 * then, untimed, every call's result is read and checked and the call ids are checked to be
 * distinct, so a round that lost or mixed up an input fails the benchmark.
 */
final class SpawnDurabilityBenchmark {

  static Measurement.SpawnDurability run(Sizes sizes, Cleanup scope) throws Exception {
    Progress progress = Progress.of("spawn_durability");
    // The embedded baseline first, while no server is installed for this JVM.
    AppRun memory = scope.register(BenchFunctions.MEMORY_SPAWN_APP.run(RunOptions.quiet()));
    ServerProcess server = scope.register(ServerProcess.startWithFullJit());
    progress.step("server started");
    server.useInThisJvm();
    AppRun stored = scope.register(BenchFunctions.STORED_SPAWN_APP.run(RunOptions.quiet()));
    // A warm container on each side, so that no round waits for a container start.
    check(BenchFunctions.memorySpawnInc.remote(0), 1, "warm-up call on the embedded plane");
    check(BenchFunctions.storedSpawnInc.remote(0), 1, "warm-up call on the server");
    progress.step("containers warm");

    ExecutorService pool = Executors.newFixedThreadPool(Sizes.SPAWN_DURABILITY_THREADS);
    try {
      int n = sizes.durableSpawns();
      for (int i = 0; i < sizes.durableWarmupRounds(); i++) {
        round(BenchFunctions.memorySpawnInc, pool, n, sizes);
        round(BenchFunctions.storedSpawnInc, pool, n, sizes);
      }
      progress.step(sizes.durableWarmupRounds() + " warm-up round(s) per side");
      long storedNanos = 0;
      long memoryNanos = 0;
      for (int i = 0; i < sizes.durableRounds(); i++) {
        if (i % 2 == 0) {
          storedNanos += round(BenchFunctions.storedSpawnInc, pool, n, sizes);
          memoryNanos += round(BenchFunctions.memorySpawnInc, pool, n, sizes);
        } else {
          memoryNanos += round(BenchFunctions.memorySpawnInc, pool, n, sizes);
          storedNanos += round(BenchFunctions.storedSpawnInc, pool, n, sizes);
        }
        progress.step("round " + (i + 1) + " of " + sizes.durableRounds());
      }
      long total = (long) n * sizes.durableRounds();
      return new Measurement.SpawnDurability(
          n,
          Sizes.SPAWN_DURABILITY_THREADS,
          sizes.durableRounds(),
          Measurement.perSecond(total, storedNanos),
          Measurement.perSecond(total, memoryNanos));
    } finally {
      pool.shutdownNow(); // does not wait; interrupts spawners left by a failure
      stored.close();
      server.close();
      memory.close();
      progress.step("server and runs closed");
    }
  }

  /**
   * Spawns {@code inc(0..n-1)} from the pool's threads and returns the nanoseconds until every
   * spawn returned; then checks every result and that the call ids are distinct.
   */
  static long round(Function1<Integer, Integer> inc, ExecutorService pool, int n, Sizes sizes)
      throws Exception {
    long start = System.nanoTime();
    List<Future<FunctionCall<Integer>>> spawns = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int x = i;
      spawns.add(pool.submit(() -> inc.spawn(x)));
    }
    long deadline = start + sizes.phaseLimit().toNanos();
    List<FunctionCall<Integer>> calls = new ArrayList<>(n);
    for (Future<FunctionCall<Integer>> spawn : spawns) {
      calls.add(spawn.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
    }
    long elapsed = System.nanoTime() - start;
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < n; i++) {
      FunctionCall<Integer> call = calls.get(i);
      check(call.get(), i + 1, "the result of spawned call " + call.id() + " of inc(" + i + ")");
      ids.add(call.id());
    }
    if (ids.size() != n) {
      throw new IllegalStateException(
          n + " spawns returned " + ids.size() + " distinct call ids; each must get its own");
    }
    return elapsed;
  }

  static void check(int actual, int expected, String what) {
    if (actual != expected) {
      throw new IllegalStateException(what + " was " + actual + ", not " + expected);
    }
  }

  private SpawnDurabilityBenchmark() {}
}
