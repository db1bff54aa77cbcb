package dev.skiff.bench;

import dev.skiff.AppRun;
import dev.skiff.RunOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The memory phases. {@link #idle} reads resident set sizes at rest: of a container (after a few
 * calls and 5 idle seconds), of the gRPC echo server JVM treated the same way (the baseline), and
 * of this JVM, which holds the embedded control plane. {@link #queued} spawns inputs of a function
 * whose one container is busy, so they stay queued, timing the spawns, and reads the heap they
 * take.
 */
final class MemoryBenchmarks {
  private static final int IDLE_CALLS = 5;
  private static final Duration IDLE = Duration.ofSeconds(5);
  private static final String QUEUED_ARGUMENT = "queued";

  static Measurement.IdleMemory idle(Cleanup scope, EchoBaseline echo, double harnessBeforeMib)
      throws InterruptedException {
    Progress progress = Progress.of("memory (idle)");
    byte[] bytes = "idle".getBytes(StandardCharsets.UTF_8);
    try (AppRun run = scope.register(BenchFunctions.IDLE_APP.run(RunOptions.quiet()))) {
      for (int i = 0; i < IDLE_CALLS; i++) {
        BenchFunctions.idleEcho.remote("idle");
        echo.unary(bytes);
      }
      progress.step(IDLE_CALLS + " calls per side (the first starts a container)");
      Thread.sleep(IDLE);
      List<Long> containers = ProcessMemory.containerPids();
      if (containers.isEmpty()) {
        throw new IllegalStateException(
            "no container process (a descendant running ContainerMain) was found after "
                + IDLE_CALLS
                + " calls");
      }
      double containerRss = 0;
      for (long pid : containers) {
        containerRss = Math.max(containerRss, ProcessMemory.rssMib(pid));
      }
      var measured =
          new Measurement.IdleMemory(
              containerRss,
              containers.size(),
              ProcessMemory.rssMib(echo.serverPid()),
              ProcessMemory.selfRssMib(),
              harnessBeforeMib);
      progress.step("measured after " + IDLE.toSeconds() + " idle seconds");
      run.close();
      progress.step("app run closed");
      return measured;
    }
  }

  static Measurement.QueuedSpawns queued(Sizes sizes, Cleanup scope) throws Exception {
    Progress progress = Progress.of("spawn_enqueue");
    AppRun run = scope.register(BenchFunctions.QUEUE_APP.run(RunOptions.quiet()));
    try {
      // Start the one container and let it finish a call, so that its start does not overlap
      // the timed spawns; the first spawned input then holds it, and the rest queue.
      BenchFunctions.queueHold.remote(BenchFunctions.WARM);
      double heapBefore = ProcessMemory.usedHeapAfterGcMib();
      progress.step("container warm, heap measured");

      long start = System.nanoTime();
      for (int i = 0; i < sizes.spawnInputs(); i++) {
        BenchFunctions.queueHold.spawn(QUEUED_ARGUMENT);
      }
      long sequentialNanos = System.nanoTime() - start;
      progress.step(sizes.spawnInputs() + " sequential spawns");
      double heapQueued = ProcessMemory.usedHeapAfterGcMib();

      int threads = Sizes.SPAWN_THREADS;
      int perThread = sizes.concurrentSpawnInputs() / threads;
      long concurrentNanos;
      ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
      try {
        List<Future<?>> spawners = new ArrayList<>();
        long concurrentStart = System.nanoTime();
        for (int t = 0; t < threads; t++) {
          spawners.add(
              executor.submit(
                  () -> {
                    for (int i = 0; i < perThread; i++) {
                      BenchFunctions.queueHold.spawn(QUEUED_ARGUMENT);
                    }
                  }));
        }
        long deadline = System.nanoTime() + sizes.phaseLimit().toNanos();
        for (Future<?> spawner : spawners) {
          spawner.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        concurrentNanos = System.nanoTime() - concurrentStart;
        progress.step(sizes.concurrentSpawnInputs() + " spawns from " + threads + " threads");
      } finally {
        executor.shutdownNow(); // does not wait; interrupts spawners left by a failure
      }

      long closeStart = System.nanoTime();
      run.close();
      double closeMs = (System.nanoTime() - closeStart) / 1e6;
      progress.step("app run closed with everything queued");
      return new Measurement.QueuedSpawns(
          sizes.spawnInputs(),
          heapBefore,
          heapQueued,
          Measurement.perSecond(sizes.spawnInputs(), sequentialNanos),
          threads,
          perThread * threads,
          Measurement.perSecond((long) perThread * threads, concurrentNanos),
          closeMs);
    } finally {
      run.close();
    }
  }

  private MemoryBenchmarks() {}
}
