package dev.skiff.bench;

/** The parts of a run, in the order they run. Each runs in its own cleanup scope and time limit. */
enum Phase {
  /** Idle resident set sizes; first, before the other phases grow this JVM. */
  IDLE_MEMORY("memory (idle)"),
  REMOTE_LATENCY("remote_latency"),
  MAP_THROUGHPUT("map_throughput"),
  COLD_START("cold_start"),
  /** Drives a web endpoint and a bare Jetty endpoint with wrk. */
  WEB_ENDPOINT("web_endpoint"),
  /** Starts a long-running server as a child JVM for its measured side. */
  SPAWN_DURABILITY("spawn_durability"),
  /** Deploys on a long-running server (a child JVM) and calls it from this JVM as a client. */
  SERVER_PATH("server_path"),
  /** Starts PostgreSQL and, in turn, servers on it and on SQLite. */
  SPAWN_DURABILITY_POSTGRES("spawn_durability_postgres"),
  /** Spawn rate and queued-input heap; last, because it fills the heap. */
  QUEUED_SPAWNS("spawn_enqueue + queued heap");

  private final String label;

  Phase(String label) {
    this.label = label;
  }

  String label() {
    return label;
  }

  /** Whether the phase talks to the gRPC echo baseline. */
  boolean needsEcho() {
    return this == IDLE_MEMORY || this == REMOTE_LATENCY || this == MAP_THROUGHPUT;
  }
}
