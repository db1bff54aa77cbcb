package dev.skiff.bench;

import java.util.List;

/** What one phase of the harness measured: Skiff's figures and the same run's baselines. */
sealed interface Measurement {

  /** {@code count} events in {@code nanos} nanoseconds, per second. */
  static double perSecond(long count, long nanos) {
    return nanos <= 0 ? 0 : count * 1e9 / nanos;
  }

  /**
   * Warm {@code remote} round trips against bare gRPC unary echoes, in microseconds.
   *
   * @param calls timed calls on each side
   */
  record RemoteLatency(
      long calls,
      long p50Us,
      long p99Us,
      long p999Us,
      long baselineP50Us,
      long baselineP99Us,
      long baselineP999Us)
      implements Measurement {}

  /**
   * Ordered {@code map} against a bare gRPC bidirectional-stream echo, in inputs per second.
   *
   * @param inputs inputs per round
   * @param rounds rounds on each side, interleaved
   */
  record MapThroughput(long inputs, int rounds, double perS, double baselinePerS)
      implements Measurement {}

  /**
   * First {@code remote} call of a fresh app against a bare hello-world JVM launch, in
   * milliseconds.
   *
   * @param runStartP50Ms the median time of {@code app.run()} itself (embedded control plane
   *     start), which is not part of the cold start
   * @param imagePooledP50Ms as {@code p50Ms}, for a function with an image of its own (its warm
   *     containers are started on the image)
   */
  record ColdStart(
      int samples,
      double p50Ms,
      double p99Ms,
      double baselineP50Ms,
      double baselineP99Ms,
      double runStartP50Ms,
      double freshP50Ms,
      double freshP99Ms,
      double imagePooledP50Ms,
      double imagePooledP99Ms)
      implements Measurement {}

  /**
   * Resident set sizes at idle, in MiB.
   *
   * @param containers how many container processes were found (the figure is the largest)
   * @param echoServerRssMib the baseline for a container: the idle gRPC echo server JVM
   * @param controlPlaneRssMib this JVM, which holds the embedded control plane, with an app running
   * @param harnessBeforeRssMib this JVM before it started any app: the baseline for the above
   */
  record IdleMemory(
      double containerRssMib,
      int containers,
      double echoServerRssMib,
      double controlPlaneRssMib,
      double harnessBeforeRssMib)
      implements Measurement {}

  /**
   * Concurrent spawns on the long-running server (each input stored before the spawn returns)
   * against the same on an embedded control plane (memory only), in spawns per second.
   *
   * @param spawns spawns per round
   * @param threads threads spawning concurrently
   * @param rounds timed rounds per side, interleaved
   */
  record SpawnDurability(int spawns, int threads, int rounds, double perS, double baselinePerS)
      implements Measurement {}

  /**
   * The long-running server's path from a separate client JVM against the embedded control plane in
   * this JVM ({@link ServerPathBenchmark}).
   *
   * @param calls timed sequential calls per side
   * @param p50Us the server's median call latency
   * @param p99Us its 99th percentile
   * @param embeddedP50Us the embedded control plane's median
   * @param embeddedP99Us its 99th percentile
   * @param mapInputs inputs per map
   * @param mapRounds timed maps per side
   * @param mapPerS the server's map inputs per second
   * @param embeddedMapPerS the embedded control plane's
   * @param spawns durable spawns per round on the server
   * @param threads threads spawning (and then reading results)
   * @param spawnRounds timed rounds
   * @param ackedPerS spawns acknowledged (committed) per second
   * @param completedPerS spawns whose results were read per second, from the first spawn
   */
  record ServerPath(
      int calls,
      double p50Us,
      double p99Us,
      double embeddedP50Us,
      double embeddedP99Us,
      int mapInputs,
      int mapRounds,
      double mapPerS,
      double embeddedMapPerS,
      int spawns,
      int threads,
      int spawnRounds,
      double ackedPerS,
      double completedPerS)
      implements Measurement {}

  /**
   * Concurrent spawns on the long-running server with its store in PostgreSQL against the same with
   * it in SQLite, in spawns per second over each side's timed rounds.
   *
   * @param spawns spawns per round
   * @param threads threads spawning concurrently
   * @param blocksPerSide blocks (a server each) per side, alternating, SQLite first
   * @param roundsPerBlock timed rounds in each block
   * @param perS PostgreSQL's rate
   * @param baselinePerS SQLite's rate
   * @param blocks each block's side and rate, in the order they ran, e.g. {@code SQLite 1,234}
   */
  record SpawnDurabilityPostgres(
      int spawns,
      int threads,
      int blocksPerSide,
      int roundsPerBlock,
      double perS,
      double baselinePerS,
      List<String> blocks)
      implements Measurement {
    public SpawnDurabilityPostgres {
      blocks = List.copyOf(blocks);
    }
  }

  /**
   * A Skiff web endpoint under {@code wrk} against the same request on a bare Jetty endpoint
   * configured as the gateway is: medians over alternating rounds, p50 in microseconds.
   *
   * @param connections wrk's connections in the loaded rounds
   * @param rounds rounds per side, at {@code connections} and (as many) at 1 connection
   * @param perS Skiff's requests per second at {@code connections}
   * @param singleP50Us Skiff's p50 at 1 connection (single-request latency)
   * @param loadBefore the machine's load averages before the phase
   * @param loadAfter the same after it
   */
  record WebEndpoint(
      int connections,
      int rounds,
      double p50Us,
      double p99Us,
      double perS,
      double baselineP50Us,
      double baselineP99Us,
      double baselinePerS,
      double singleP50Us,
      double baselineSingleP50Us,
      String loadBefore,
      String loadAfter)
      implements Measurement {}

  /**
   * Spawning inputs of a blocked function, and the heap they take while queued.
   *
   * @param queued inputs spawned sequentially and queued when the heap was measured
   * @param heapBeforeMib this JVM's used heap after GC with the app running, before spawning
   * @param heapQueuedMib the same with {@code queued} inputs queued
   * @param perS sequential spawns per second (one thread)
   * @param threads how many virtual threads spawned concurrently
   * @param concurrentInputs further inputs they spawned, all told
   * @param concurrentPerS their rate
   * @param closeMs how long closing the run took with everything still queued
   */
  record QueuedSpawns(
      int queued,
      double heapBeforeMib,
      double heapQueuedMib,
      double perS,
      int threads,
      int concurrentInputs,
      double concurrentPerS,
      double closeMs)
      implements Measurement {}
}
