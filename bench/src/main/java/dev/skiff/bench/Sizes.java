package dev.skiff.bench;

import java.time.Duration;

/**
 * How much work each benchmark does, and how long it may take. Every loop in the harness is bounded
 * by one of these counts, and every phase by {@link #phaseLimit}.
 *
 * @param mode {@code quick} or {@code full}
 * @param latencyWarmup untimed {@code remote} calls (and as many baseline calls) first
 * @param latencyRounds interleaved rounds of timed calls
 * @param latencyPerRound timed calls per round and side
 * @param mapWarmup inputs of an untimed {@code map} (and baseline stream) first
 * @param mapInputs inputs of each timed {@code map} (and baseline stream)
 * @param mapRounds interleaved rounds of timed maps
 * @param coldSamples timed cold starts (and as many hello-world launches), after one untimed
 * @param spawnInputs inputs spawned sequentially and then held queued
 * @param concurrentSpawnInputs further inputs spawned from {@link #SPAWN_THREADS} virtual threads
 * @param durableSpawns spawns per round of {@code spawn_durability}, from {@link
 *     #SPAWN_DURABILITY_THREADS} threads
 * @param durableWarmupRounds untimed rounds per side first
 * @param durableRounds interleaved timed rounds per side
 * @param durableBlocks blocks per side of {@code spawn_durability_postgres} (a server each,
 *     alternating between the sides), among which the side's {@code durableRounds} are shared
 * @param webWarmupS seconds of untimed wrk load on {@code web_endpoint}'s Skiff side first (the JIT
 *     compilers of the harness and container JVMs take that long to settle: rounds right after a 5
 *     s warm-up served half the requests/s of later ones); the bare side, plain Jetty, gets at most
 *     {@link #WEB_BARE_WARMUP_S}
 * @param webRounds alternating rounds per side of {@code web_endpoint}, at {@link #WEB_CONNECTIONS}
 *     connections and then (as many again) at 1 connection
 * @param webRoundS seconds of each round at {@link #WEB_CONNECTIONS} connections
 * @param webSingleS seconds of each round at 1 connection
 * @param phaseLimit the most one phase may take before it is stopped and reported as failed
 * @param totalLimit the most the whole run may take before the harness exits
 */
record Sizes(
    String mode,
    int latencyWarmup,
    int latencyRounds,
    int latencyPerRound,
    int mapWarmup,
    int mapInputs,
    int mapRounds,
    int coldSamples,
    int spawnInputs,
    int concurrentSpawnInputs,
    int durableSpawns,
    int durableWarmupRounds,
    int durableRounds,
    int durableBlocks,
    int webWarmupS,
    int webRounds,
    int webRoundS,
    int webSingleS,
    Duration phaseLimit,
    Duration totalLimit) {

  /** Virtual threads that spawn concurrently. */
  static final int SPAWN_THREADS = 8;

  /** Platform threads that spawn concurrently in {@code spawn_durability}. */
  static final int SPAWN_DURABILITY_THREADS = 64;

  /** Connections (over {@link #WEB_THREADS} wrk threads) of {@code web_endpoint}'s rounds. */
  static final int WEB_CONNECTIONS = 16;

  /** The most seconds of untimed wrk load on {@code web_endpoint}'s bare side. */
  static final int WEB_BARE_WARMUP_S = 5;

  /** wrk's threads in {@code web_endpoint}'s rounds at {@link #WEB_CONNECTIONS} connections. */
  static final int WEB_THREADS = 2;

  /** The full run: about six minutes on two cores. */
  static Sizes full() {
    return new Sizes(
        "full",
        40_000,
        10,
        1_000,
        300_000,
        100_000,
        3,
        20,
        100_000,
        50_000,
        1_000,
        2,
        6,
        2,
        20,
        5,
        5,
        3,
        Duration.ofMinutes(4),
        Duration.ofMinutes(15));
  }

  /** The quick run ({@code --quick}): three to four minutes including the build. */
  static Sizes quick() {
    return new Sizes(
        "quick",
        3_000,
        3,
        1_000,
        40_000,
        20_000,
        1,
        5,
        20_000,
        10_000,
        500,
        1,
        2,
        1,
        10,
        2,
        3,
        2,
        Duration.ofSeconds(50),
        // All phases of a quick run (spawn_durability_postgres and web_endpoint alone take about
        // 30 s each), with a margin for a busy machine.
        Duration.ofSeconds(300));
  }

  /**
   * These sizes with another phase limit; the total limit grows to leave each phase its full limit.
   */
  Sizes withPhaseLimit(Duration limit) {
    Duration total = limit.multipliedBy(Phase.values().length).plusMinutes(1);
    return new Sizes(
        mode,
        latencyWarmup,
        latencyRounds,
        latencyPerRound,
        mapWarmup,
        mapInputs,
        mapRounds,
        coldSamples,
        spawnInputs,
        concurrentSpawnInputs,
        durableSpawns,
        durableWarmupRounds,
        durableRounds,
        durableBlocks,
        webWarmupS,
        webRounds,
        webRoundS,
        webSingleS,
        limit,
        total.compareTo(totalLimit) > 0 ? total : totalLimit);
  }
}
