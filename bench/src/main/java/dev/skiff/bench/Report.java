package dev.skiff.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns the phases' measurements into the human table (with notes under it) and then one JSON line
 * per benchmark. A benchmark whose phase failed gets a FAILED row and a JSON line {@code
 * {"bench":"...","error":"..."}} instead of its figures. Not thread-safe; used once, at the end.
 */
final class Report {
  private record Row(String benchmark, String skiff, String baseline, String ratio) {}

  private final Sizes sizes;
  private final Set<Benchmark> selected;
  private final Map<Phase, Measurement> measured = new EnumMap<>(Phase.class);
  private final Map<Phase, String> failed = new EnumMap<>(Phase.class);
  private final List<Row> rows = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private final List<String> json = new ArrayList<>();
  private Optional<Double> grpcServerStartMs = Optional.empty();

  Report(Sizes sizes, Set<Benchmark> selected) {
    this.sizes = sizes;
    this.selected = selected;
  }

  void measured(Phase phase, Measurement m) {
    measured.put(phase, m);
  }

  void failed(Phase phase, String why) {
    failed.put(phase, why);
  }

  /** How long the echo server JVM took to start serving: a reference for cold starts. */
  void grpcServerStartMs(double ms) {
    grpcServerStartMs = Optional.of(ms);
  }

  boolean anyFailed() {
    return !failed.isEmpty();
  }

  /** Prints the table, the notes and the JSON lines. */
  void print(PrintStream out, double elapsedSeconds) {
    for (Benchmark b : Benchmark.values()) {
      if (selected.contains(b)) {
        failure(b).ifPresentOrElse(why -> fail(b, why), () -> describe(b));
      }
    }
    out.println();
    out.printf(
        Locale.ROOT,
        "Skiff benchmarks (%s run, %.0f s, %d cores, Java %s); ratio = Skiff / baseline%n",
        sizes.mode(),
        elapsedSeconds,
        Runtime.getRuntime().availableProcessors(),
        Runtime.version());
    printTable(out);
    out.println();
    for (String note : notes) {
      out.println("  - " + note);
    }
    out.println();
    json.forEach(out::println);
    out.flush();
  }

  private Optional<String> failure(Benchmark b) {
    return b.phases().stream()
        .filter(failed::containsKey)
        .findFirst()
        .map(p -> p.label() + ": " + failed.get(p));
  }

  private void fail(Benchmark b, String why) {
    rows.add(new Row(b.id(), "FAILED", "-", "-"));
    notes.add(b.id() + " failed: " + why);
    json.add(new JsonLine(b.id()).string("error", why).toString());
  }

  private <M extends Measurement> M get(Phase phase, Class<M> type) {
    return type.cast(measured.get(phase));
  }

  private void describe(Benchmark b) {
    switch (b) {
      case REMOTE_LATENCY -> {
        var m = get(Phase.REMOTE_LATENCY, Measurement.RemoteLatency.class);
        rows.add(
            new Row(
                "remote_latency p50 (us)",
                i(m.p50Us()),
                i(m.baselineP50Us()),
                ratio(m.p50Us(), m.baselineP50Us())));
        rows.add(
            new Row(
                "remote_latency p99 (us)",
                i(m.p99Us()),
                i(m.baselineP99Us()),
                ratio(m.p99Us(), m.baselineP99Us())));
        rows.add(
            new Row(
                "remote_latency p99.9 (us)",
                i(m.p999Us()),
                i(m.baselineP999Us()),
                ratio(m.p999Us(), m.baselineP999Us())));
        notes.add(
            "remote_latency: "
                + m.calls()
                + " sequential remote calls of a trivial function on"
                + " a warm container, after "
                + sizes.latencyWarmup()
                + " warm-up calls;"
                + " baseline: as many bare grpc-java unary echoes of the same string to a"
                + " separate JVM on loopback; the two alternate in "
                + sizes.latencyRounds()
                + " rounds.");
        json.add(
            new JsonLine(b.id())
                .integer("p50_us", m.p50Us())
                .integer("p99_us", m.p99Us())
                .integer("p999_us", m.p999Us())
                .integer("baseline_p50_us", m.baselineP50Us())
                .integer("baseline_p99_us", m.baselineP99Us())
                .toString());
      }
      case MAP_THROUGHPUT -> {
        var m = get(Phase.MAP_THROUGHPUT, Measurement.MapThroughput.class);
        rows.add(
            new Row(
                "map_throughput (inputs/s)",
                rate(m.perS()),
                rate(m.baselinePerS()),
                ratio(m.perS(), m.baselinePerS())));
        notes.add(
            "map_throughput: ordered map of "
                + m.inputs()
                + " trivial inputs (one call each),"
                + " results read and checked, "
                + m.rounds()
                + " round(s) after a "
                + sizes.mapWarmup()
                + "-input warm-up; baseline: one bare grpc bidirectional"
                + " stream echoing the same payloads, one message per input, to a separate JVM."
                + " Here ratio < 1 means Skiff is slower.");
        json.add(
            new JsonLine(b.id())
                .decimal("per_s", m.perS())
                .decimal("baseline_per_s", m.baselinePerS())
                .toString());
      }
      case COLD_START -> {
        var m = get(Phase.COLD_START, Measurement.ColdStart.class);
        rows.add(
            new Row(
                "cold_start p50 (ms)",
                ms(m.p50Ms()),
                ms(m.baselineP50Ms()),
                ratio(m.p50Ms(), m.baselineP50Ms())));
        rows.add(
            new Row(
                "cold_start p99 (ms)",
                ms(m.p99Ms()),
                ms(m.baselineP99Ms()),
                ratio(m.p99Ms(), m.baselineP99Ms())));
        rows.add(
            new Row(
                "cold_start with an image p50 (ms)",
                ms(m.imagePooledP50Ms()),
                ms(m.baselineP50Ms()),
                ratio(m.imagePooledP50Ms(), m.baselineP50Ms())));
        rows.add(
            new Row(
                "cold_start fresh p50 (ms)",
                ms(m.freshP50Ms()),
                ms(m.baselineP50Ms()),
                ratio(m.freshP50Ms(), m.baselineP50Ms())));
        rows.add(
            new Row(
                "cold_start fresh p99 (ms)",
                ms(m.freshP99Ms()),
                ms(m.baselineP99Ms()),
                ratio(m.freshP99Ms(), m.baselineP99Ms())));
        notes.add(
            "cold_start: the first remote call of a new run of an app whose function has no"
                + " container yet, "
                + m.samples()
                + " samples after one untimed. The headline"
                + " rows use one long-lived control plane, with another app on the same"
                + " classpath running throughout, whose warm pool has refilled between"
                + " samples (the function binds a pre-started container); the 'with an image'"
                + " row does the same for a function on a JDK image of its own while another app"
                + " on that image runs (the pool keeps containers started on the image); the"
                + " 'fresh' rows start a"
                + " new embedded control plane per sample, so the call waits for a container JVM"
                + " to start from nothing; app.run() itself is not included and took p50 "
                + ms(m.runStartP50Ms())
                + " ms; baseline: a bare `java -cp <dir> Hello` launch"
                + " on the same JDK, timed to its output line, as many samples, alternating."
                + grpcServerStartMs
                    .map(
                        t ->
                            " For reference, the bare gRPC echo server JVM (one launch, at the"
                                + " start of this run) took "
                                + ms(t)
                                + " ms from launch to serving.")
                    .orElse(""));
        json.add(
            new JsonLine(b.id())
                .decimal("p50_ms", m.p50Ms())
                .decimal("p99_ms", m.p99Ms())
                .decimal("fresh_p50_ms", m.freshP50Ms())
                .decimal("fresh_p99_ms", m.freshP99Ms())
                .decimal("image_pooled_p50_ms", m.imagePooledP50Ms())
                .decimal("baseline_p50_ms", m.baselineP50Ms())
                .toString());
      }
      case WEB_ENDPOINT -> {
        var m = get(Phase.WEB_ENDPOINT, Measurement.WebEndpoint.class);
        String at = m.connections() + " conns";
        rows.add(
            new Row(
                "web_endpoint p50, " + at + " (us)",
                i(Math.round(m.p50Us())),
                i(Math.round(m.baselineP50Us())),
                ratio(m.p50Us(), m.baselineP50Us())));
        rows.add(
            new Row(
                "web_endpoint, " + at + " (req/s)",
                rate(m.perS()),
                rate(m.baselinePerS()),
                ratio(m.perS(), m.baselinePerS())));
        rows.add(
            new Row(
                "web_endpoint p50, 1 conn (us)",
                i(Math.round(m.singleP50Us())),
                i(Math.round(m.baselineSingleP50Us())),
                ratio(m.singleP50Us(), m.baselineSingleP50Us())));
        notes.add(
            String.format(
                Locale.ROOT,
                "web_endpoint: wrk GET /bench-web/hello?name=x, a simple-form web endpoint"
                    + " (String hello(String name)) on the embedded control plane's gateway (Jetty"
                    + " 12, handlers on virtual threads), one warm container running up to %d"
                    + " inputs at once; baseline: the same request answered with the same bytes by"
                    + " a bare handler on a Jetty server configured as the gateway, in this JVM (no"
                    + " input, no container). After a warm-up of %d s (Skiff) and %d s (bare),"
                    + " %d alternating round(s) of %d s per side at %d connections (wrk -t%d), then as many of %d"
                    + " s at 1 connection; medians of the rounds; every answer was 2xx. p99 at %d"
                    + " connections: Skiff %.0f us, bare %.0f us. Load average %s before, %s"
                    + " after. Here the ratio of req/s < 1 means Skiff serves fewer.",
                Sizes.WEB_CONNECTIONS,
                sizes.webWarmupS(),
                Math.min(sizes.webWarmupS(), Sizes.WEB_BARE_WARMUP_S),
                m.rounds(),
                sizes.webRoundS(),
                m.connections(),
                Sizes.WEB_THREADS,
                sizes.webSingleS(),
                m.connections(),
                m.p99Us(),
                m.baselineP99Us(),
                m.loadBefore(),
                m.loadAfter()));
        json.add(
            new JsonLine(b.id())
                .integer("p50_us", Math.round(m.p50Us()))
                .decimal("per_s", m.perS())
                .integer("baseline_p50_us", Math.round(m.baselineP50Us()))
                .decimal("baseline_per_s", m.baselinePerS())
                .integer("single_p50_us", Math.round(m.singleP50Us()))
                .integer("baseline_single_p50_us", Math.round(m.baselineSingleP50Us()))
                .toString());
      }
      case MEMORY -> {
        var idle = get(Phase.IDLE_MEMORY, Measurement.IdleMemory.class);
        var queued = get(Phase.QUEUED_SPAWNS, Measurement.QueuedSpawns.class);
        rows.add(
            new Row(
                "memory: idle container RSS (MiB)",
                mib(idle.containerRssMib()),
                mib(idle.echoServerRssMib()),
                ratio(idle.containerRssMib(), idle.echoServerRssMib())));
        rows.add(
            new Row(
                "memory: control plane RSS (MiB)",
                mib(idle.controlPlaneRssMib()),
                mib(idle.harnessBeforeRssMib()),
                ratio(idle.controlPlaneRssMib(), idle.harnessBeforeRssMib())));
        rows.add(
            new Row(
                "memory: heap with " + queued.queued() + " queued (MiB)",
                mib(queued.heapQueuedMib()),
                mib(queued.heapBeforeMib()),
                ratio(queued.heapQueuedMib(), queued.heapBeforeMib())));
        notes.add(
            "memory, container: VmRSS of the container process (largest of "
                + idle.containers()
                + " found) after a few calls and 5 idle seconds; baseline:"
                + " the gRPC echo server JVM after the same.");
        notes.add(
            "memory, control plane: VmRSS of this harness JVM, which holds the embedded control"
                + " plane (and the client and harness), with one app running idle; baseline: the"
                + " same JVM before it started any app.");
        double perInput =
            (queued.heapQueuedMib() - queued.heapBeforeMib()) * 1024 * 1024 / queued.queued();
        notes.add(
            String.format(
                Locale.ROOT,
                "memory, queued: used heap of this JVM (control plane and client) after System.gc()"
                    + " with %d spawned inputs queued behind a busy maxContainers(1) function;"
                    + " baseline: the same before spawning; about %.0f bytes per queued input.",
                queued.queued(),
                perInput));
        json.add(
            new JsonLine(b.id())
                .decimal("container_rss_mib", idle.containerRssMib())
                .decimal("control_plane_rss_mib", idle.controlPlaneRssMib())
                .decimal("queued_100k_heap_mib", queued.heapQueuedMib())
                .toString());
      }
      case SPAWN_DURABILITY -> {
        var m = get(Phase.SPAWN_DURABILITY, Measurement.SpawnDurability.class);
        rows.add(
            new Row(
                "spawn_durability, stored (/s)",
                rate(m.perS()),
                rate(m.baselinePerS()),
                ratio(m.perS(), m.baselinePerS())));
        notes.add(
            String.format(
                Locale.ROOT,
                "spawn_durability: %d concurrent spawns from %d threads on the long-running server"
                    + " (a child JVM; each input is committed to its store before the spawn returns),"
                    + " timed until every spawn returned, %d round(s) after %d warm-up round(s), every"
                    + " result then read and checked; baseline: the same rounds on an embedded control"
                    + " plane, which keeps inputs in memory only, alternating. Here ratio < 1 means"
                    + " storing costs that much of the rate.",
                m.spawns(),
                m.threads(),
                m.rounds(),
                sizes.durableWarmupRounds()));
        json.add(
            new JsonLine(b.id())
                .decimal("per_s", m.perS())
                .decimal("baseline_per_s", m.baselinePerS())
                .toString());
      }
      case SERVER_REMOTE_LATENCY -> {
        var m = get(Phase.SERVER_PATH, Measurement.ServerPath.class);
        rows.add(
            new Row(
                "server_remote_latency p50 (us)",
                i(Math.round(m.p50Us())),
                i(Math.round(m.embeddedP50Us())),
                ratio(m.p50Us(), m.embeddedP50Us())));
        rows.add(
            new Row(
                "server_remote_latency p99 (us)",
                i(Math.round(m.p99Us())),
                i(Math.round(m.embeddedP99Us())),
                ratio(m.p99Us(), m.embeddedP99Us())));
        notes.add(
            String.format(
                Locale.ROOT,
                "server_remote_latency: %d sequential remote calls of a trivial function of an app"
                    + " deployed on a long-running server (a child JVM; TLS on loopback), called by"
                    + " name from this JVM; baseline: as many on the embedded control plane in this"
                    + " JVM, rounds alternating, each side on a warm container.",
                m.calls()));
        json.add(
            new JsonLine(b.id())
                .integer("p50_us", Math.round(m.p50Us()))
                .integer("p99_us", Math.round(m.p99Us()))
                .integer("embedded_p50_us", Math.round(m.embeddedP50Us()))
                .toString());
      }
      case SERVER_MAP_THROUGHPUT -> {
        var m = get(Phase.SERVER_PATH, Measurement.ServerPath.class);
        rows.add(
            new Row(
                "server_map_throughput (/s)",
                rate(m.mapPerS()),
                rate(m.embeddedMapPerS()),
                ratio(m.mapPerS(), m.embeddedMapPerS())));
        notes.add(
            String.format(
                Locale.ROOT,
                "server_map_throughput: ordered map of %d trivial inputs through the server (the"
                    + " deployed app, called by name), %d round(s), every result checked; baseline:"
                    + " the same on the embedded control plane, alternating. Ratio < 1: the server"
                    + " path is slower.",
                m.mapInputs(),
                m.mapRounds()));
        json.add(
            new JsonLine(b.id())
                .decimal("per_s", m.mapPerS())
                .decimal("embedded_per_s", m.embeddedMapPerS())
                .toString());
      }
      case DURABLE_SPAWN -> {
        var m = get(Phase.SERVER_PATH, Measurement.ServerPath.class);
        rows.add(new Row("durable_spawn acked (/s)", rate(m.ackedPerS()), "-", "-"));
        rows.add(new Row("durable_spawn completed (/s)", rate(m.completedPerS()), "-", "-"));
        notes.add(
            String.format(
                Locale.ROOT,
                "durable_spawn: %d spawns of a trivial function of the deployed app from %d client"
                    + " threads, %d round(s) after a warm-up round: acked = until every spawn"
                    + " returned (each committed to the server's store first), completed = until"
                    + " every result was also read (the same threads), both from the first spawn.",
                m.spawns(),
                m.threads(),
                m.spawnRounds()));
        json.add(
            new JsonLine(b.id())
                .decimal("acked_per_s", m.ackedPerS())
                .decimal("completed_per_s", m.completedPerS())
                .toString());
      }
      case SPAWN_DURABILITY_POSTGRES -> {
        var m = get(Phase.SPAWN_DURABILITY_POSTGRES, Measurement.SpawnDurabilityPostgres.class);
        rows.add(
            new Row(
                "spawn_durability_postgres (/s)",
                rate(m.perS()),
                rate(m.baselinePerS()),
                ratio(m.perS(), m.baselinePerS())));
        notes.add(
            String.format(
                Locale.ROOT,
                "spawn_durability_postgres: the rounds of spawn_durability (%d concurrent spawns"
                    + " from %d threads, every result then read and checked) on the long-running"
                    + " server with its store in PostgreSQL (a local server started by the bench,"
                    + " fsync on, loopback, a new database per block); baseline: the same with its"
                    + " store in SQLite (synchronous=FULL). The sides run in blocks, %d per side,"
                    + " alternating, SQLite first (a new server each, %d warm-up and %d timed"
                    + " round(s));"
                    + " per block (/s): %s. Here ratio < 1 means PostgreSQL is slower.",
                m.spawns(),
                m.threads(),
                m.blocksPerSide(),
                sizes.durableWarmupRounds(),
                m.roundsPerBlock(),
                String.join(", ", m.blocks())));
        json.add(
            new JsonLine(b.id())
                .decimal("per_s", m.perS())
                .decimal("baseline_per_s", m.baselinePerS())
                .toString());
      }
      case SPAWN_ENQUEUE -> {
        var m = get(Phase.QUEUED_SPAWNS, Measurement.QueuedSpawns.class);
        rows.add(new Row("spawn_enqueue, 1 thread (/s)", rate(m.perS()), "-", "-"));
        rows.add(
            new Row(
                "spawn_enqueue, " + m.threads() + " virtual threads (/s)",
                rate(m.concurrentPerS()),
                "-",
                "-"));
        notes.add(
            String.format(
                Locale.ROOT,
                "spawn_enqueue: %d sequential spawn calls from one thread, then %d more from %d"
                    + " virtual threads, all queued (no baseline); closing the run with all %d"
                    + " queued took %.0f ms.",
                m.queued(),
                m.concurrentInputs(),
                m.threads(),
                m.queued() + m.concurrentInputs(),
                m.closeMs()));
        json.add(new JsonLine(b.id()).decimal("per_s", m.perS()).toString());
      }
    }
  }

  private void printTable(PrintStream out) {
    Row header = new Row("benchmark", "Skiff", "baseline", "ratio");
    int w0 = header.benchmark().length();
    int w1 = header.skiff().length();
    int w2 = header.baseline().length();
    int w3 = header.ratio().length();
    for (Row r : rows) {
      w0 = Math.max(w0, r.benchmark().length());
      w1 = Math.max(w1, r.skiff().length());
      w2 = Math.max(w2, r.baseline().length());
      w3 = Math.max(w3, r.ratio().length());
    }
    String format = "  %-" + w0 + "s  %" + w1 + "s  %" + w2 + "s  %" + w3 + "s%n";
    out.printf(format, header.benchmark(), header.skiff(), header.baseline(), header.ratio());
    out.printf(format, "-".repeat(w0), "-".repeat(w1), "-".repeat(w2), "-".repeat(w3));
    for (Row r : rows) {
      out.printf(format, r.benchmark(), r.skiff(), r.baseline(), r.ratio());
    }
  }

  private static String i(long v) {
    return Long.toString(v);
  }

  private static String ms(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static String mib(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static String rate(double v) {
    return String.format(Locale.ROOT, "%,.0f", v);
  }

  private static String ratio(long skiff, long baseline) {
    return ratio((double) skiff, (double) baseline);
  }

  private static String ratio(double skiff, double baseline) {
    return baseline <= 0 ? "-" : String.format(Locale.ROOT, "%.2fx", skiff / baseline);
  }

  /** One flat JSON object, written in the order its fields are added. */
  private static final class JsonLine {
    private final StringBuilder text = new StringBuilder("{");

    JsonLine(String bench) {
      string("bench", bench);
    }

    JsonLine string(String key, String value) {
      return raw(key, quote(value));
    }

    JsonLine integer(String key, long value) {
      return raw(key, Long.toString(value));
    }

    JsonLine decimal(String key, double value) {
      return raw(key, Double.isFinite(value) ? String.format(Locale.ROOT, "%.1f", value) : "null");
    }

    private JsonLine raw(String key, String value) {
      if (text.length() > 1) {
        text.append(',');
      }
      text.append(quote(key)).append(':').append(value);
      return this;
    }

    private static String quote(String s) {
      StringBuilder q = new StringBuilder("\"");
      for (int at = 0; at < s.length(); at++) {
        char c = s.charAt(at);
        switch (c) {
          case '"' -> q.append("\\\"");
          case '\\' -> q.append("\\\\");
          case '\n' -> q.append("\\n");
          case '\r' -> q.append("\\r");
          case '\t' -> q.append("\\t");
          default -> {
            if (c < 0x20) {
              q.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
              q.append(c);
            }
          }
        }
      }
      return q.append('"').toString();
    }

    @Override
    public String toString() {
      return text + "}";
    }
  }
}
