package dev.skiff.bench;

import java.time.Duration;

/**
 * How much work each benchmark does, and how long it may take. Every loop in the harness is
 * bounded by one of these counts, and every phase by {@link #phaseLimit}.
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
    Duration phaseLimit,
    Duration totalLimit) {

  /** Virtual threads that spawn concurrently. */
  static final int SPAWN_THREADS = 8;

  /** The full run: about ten minutes on two cores. */
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
        Duration.ofMinutes(4),
        Duration.ofMinutes(15));
  }

  /** The quick run ({@code --quick}): well under three minutes including the build. */
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
        Duration.ofSeconds(50),
        Duration.ofSeconds(150));
  }

  /**
   * These sizes with another phase limit; the total limit grows to leave each of the five phases
   * its full limit.
   */
  Sizes withPhaseLimit(Duration limit) {
    Duration total = limit.multipliedBy(5).plusMinutes(1);
    return new Sizes(
        mode, latencyWarmup, latencyRounds, latencyPerRound, mapWarmup, mapInputs, mapRounds,
        coldSamples, spawnInputs, concurrentSpawnInputs, limit,
        total.compareTo(totalLimit) > 0 ? total : totalLimit);
  }
}
