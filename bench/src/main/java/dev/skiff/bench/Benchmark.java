package dev.skiff.bench;

import java.util.EnumSet;
import java.util.Set;

/** The benchmarks as reported, one JSON line each, and the phases each needs. */
enum Benchmark {
  REMOTE_LATENCY("remote_latency", EnumSet.of(Phase.REMOTE_LATENCY)),
  MAP_THROUGHPUT("map_throughput", EnumSet.of(Phase.MAP_THROUGHPUT)),
  COLD_START("cold_start", EnumSet.of(Phase.COLD_START)),
  MEMORY("memory", EnumSet.of(Phase.IDLE_MEMORY, Phase.QUEUED_SPAWNS)),
  WEB_ENDPOINT("web_endpoint", EnumSet.of(Phase.WEB_ENDPOINT)),
  SPAWN_ENQUEUE("spawn_enqueue", EnumSet.of(Phase.QUEUED_SPAWNS)),
  SPAWN_DURABILITY("spawn_durability", EnumSet.of(Phase.SPAWN_DURABILITY)),
  SPAWN_DURABILITY_POSTGRES(
      "spawn_durability_postgres", EnumSet.of(Phase.SPAWN_DURABILITY_POSTGRES)),
  SERVER_REMOTE_LATENCY("server_remote_latency", EnumSet.of(Phase.SERVER_PATH)),
  SERVER_MAP_THROUGHPUT("server_map_throughput", EnumSet.of(Phase.SERVER_PATH)),
  DURABLE_SPAWN("durable_spawn", EnumSet.of(Phase.SERVER_PATH));

  private final String id;

  @SuppressWarnings("ImmutableEnumChecker") // Set.copyOf: unmodifiable, though typed as Set
  private final Set<Phase> phases;

  Benchmark(String id, Set<Phase> phases) {
    this.id = id;
    this.phases = Set.copyOf(phases);
  }

  /** The name in the JSON lines and on the command line, e.g. {@code remote_latency}. */
  String id() {
    return id;
  }

  Set<Phase> phases() {
    return phases;
  }

  /**
   * The benchmark called {@code id}.
   *
   * @throws IllegalArgumentException naming the benchmarks that exist
   */
  static Benchmark byId(String id) {
    for (Benchmark b : values()) {
      if (b.id.equals(id)) {
        return b;
      }
    }
    StringBuilder known = new StringBuilder();
    for (Benchmark b : values()) {
      known.append(known.isEmpty() ? "" : ", ").append(b.id);
    }
    throw new IllegalArgumentException(
        "unknown benchmark '" + id + "'; the benchmarks are " + known);
  }
}
