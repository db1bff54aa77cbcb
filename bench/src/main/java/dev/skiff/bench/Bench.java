package dev.skiff.bench;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The benchmark harness, run by {@code bench/run}: measures Skiff on the embedded control plane
 * (warm remote latency, map throughput, cold start, a web endpoint under wrk, memory, spawn rate)
 * and the long-running server's durable spawns (against memory, and with the store in PostgreSQL
 * against SQLite), each against a baseline measured in the same run, and prints a table and then
 * one JSON line per benchmark on stdout. Progress goes to stderr.
 *
 * <p>Design: the run is a fixed sequence of {@link Phase}s. Each phase runs on its own thread in
 * its own {@link Cleanup} scope (app runs, child processes) with a time limit; a phase that fails
 * or overruns is reported as failed, its scope is closed (which stops its app run and so unblocks
 * any call it was waiting in), and the next phase runs. Everything the harness starts is registered
 * in one root scope that is closed at the end, and by a shutdown hook if the JVM exits otherwise; a
 * watchdog ends the JVM if the whole run overruns. Every loop is bounded by {@link Sizes}; nothing
 * asserts on timings.
 *
 * <pre>
 * bench/run [--quick]
 *     [--only remote_latency,map_throughput,cold_start,web_endpoint,memory,spawn_enqueue,server_remote_latency,server_map_throughput,durable_spawn,
 *            spawn_durability,spawn_durability_postgres]
 * </pre>
 */
public final class Bench {
  private static final String USAGE =
      """
      usage: bench/run [--quick] [--only BENCH[,BENCH...]] [--phase-limit SECONDS]
             bench/run --curves [--quick]
        benchmarks: remote_latency, map_throughput, cold_start, web_endpoint, memory,
                    spawn_enqueue, spawn_durability, spawn_durability_postgres,
                    server_remote_latency, server_map_throughput, durable_spawn
        --phase-limit: the most one phase may take (default 50 quick, 240 full)
        --curves: writes scaling curves (CSV and PNG) to bench/curves instead\
      """;

  private final Sizes sizes;
  private final Set<Benchmark> selected;
  private final Cleanup root;
  private final double harnessBeforeRssMib;

  private Bench(Sizes sizes, Set<Benchmark> selected, Cleanup root, double harnessBeforeRssMib) {
    this.sizes = sizes;
    this.selected = selected;
    this.root = root;
    this.harnessBeforeRssMib = harnessBeforeRssMib;
  }

  /** Runs the benchmarks chosen by {@code args}; exits 0 if all succeeded, 1 if one failed. */
  public static void main(String[] args) {
    // First, before anything else grows this JVM: the control plane's RSS baseline.
    double harnessBeforeRssMib = ProcessMemory.selfRssMib();
    boolean quick = false;
    boolean curves = false;
    Set<Benchmark> selected = EnumSet.allOf(Benchmark.class);
    Duration phaseLimit = null;
    try {
      for (int i = 0; i < args.length; i++) {
        String arg = args[i];
        if (arg.equals("--quick")) {
          quick = true;
        } else if (arg.equals("--curves")) {
          curves = true;
        } else if (arg.equals("--only") && i + 1 < args.length) {
          selected = parseOnly(args[++i]);
        } else if (arg.startsWith("--only=")) {
          selected = parseOnly(arg.substring("--only=".length()));
        } else if (arg.equals("--phase-limit") && i + 1 < args.length) {
          phaseLimit = parseSeconds(args[++i]);
        } else if (arg.startsWith("--phase-limit=")) {
          phaseLimit = parseSeconds(arg.substring("--phase-limit=".length()));
        } else if (arg.equals("--help") || arg.equals("-h")) {
          System.out.println(USAGE);
          return;
        } else {
          throw new IllegalArgumentException("unknown argument '" + arg + "'");
        }
      }
    } catch (IllegalArgumentException e) {
      System.err.println("bench: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
    }
    if (curves) {
      System.setProperty("java.awt.headless", "true");
      try {
        Curves.run(quick);
        System.out.println("bench: curves written to " + Curves.OUT.toAbsolutePath());
        System.exit(0);
      } catch (Exception e) {
        System.err.println("bench: the curves failed: " + e);
        e.printStackTrace();
        System.exit(1);
      }
    }
    Sizes sizes = quick ? Sizes.quick() : Sizes.full();
    if (phaseLimit != null) {
      sizes = sizes.withPhaseLimit(phaseLimit);
    }

    Cleanup root = new Cleanup("bench");
    Runtime.getRuntime().addShutdownHook(new Thread(root::close, "bench-cleanup"));
    startWatchdog(sizes.totalLimit());
    int status;
    try {
      status = new Bench(sizes, selected, root, harnessBeforeRssMib).runAll();
    } finally {
      root.close();
    }
    System.exit(status);
  }

  private static Duration parseSeconds(String text) {
    int seconds;
    try {
      seconds = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      seconds = -1;
    }
    if (seconds < 1 || seconds > 3600) {
      throw new IllegalArgumentException(
          "--phase-limit was '" + text + "'; allowed is a whole number of seconds, 1..3600");
    }
    return Duration.ofSeconds(seconds);
  }

  private static Set<Benchmark> parseOnly(String list) {
    Set<Benchmark> chosen = EnumSet.noneOf(Benchmark.class);
    for (String id : list.split(",", -1)) {
      if (!id.isBlank()) {
        chosen.add(Benchmark.byId(id.trim()));
      }
    }
    if (chosen.isEmpty()) {
      throw new IllegalArgumentException("--only needs at least one benchmark");
    }
    return chosen;
  }

  /** Ends the JVM (running the cleanup hook) if the whole run takes longer than {@code limit}. */
  private static void startWatchdog(Duration limit) {
    Thread.ofPlatform()
        .daemon()
        .name("bench-watchdog")
        .start(
            () -> {
              try {
                Thread.sleep(limit);
              } catch (InterruptedException e) {
                return;
              }
              System.err.println(
                  "bench: the run took longer than its limit of " + limit + "; stopping");
              System.exit(3);
            });
  }

  private int runAll() {
    long start = System.nanoTime();
    Set<Phase> phases = EnumSet.noneOf(Phase.class);
    selected.forEach(b -> phases.addAll(b.phases()));
    Report report = new Report(sizes, selected);
    System.err.printf(
        Locale.ROOT,
        "bench: %s run of %s on %d cores; each phase may take up to %d s%n",
        sizes.mode(),
        phases,
        Runtime.getRuntime().availableProcessors(),
        sizes.phaseLimit().toSeconds());

    EchoBaseline echo = null;
    String echoFailure = null;
    if (phases.stream().anyMatch(Phase::needsEcho)) {
      try {
        echo = EchoBaseline.start(root.child("echo baseline"));
        report.grpcServerStartMs(echo.startMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        echoFailure = "the harness was interrupted while starting the gRPC echo baseline";
      } catch (RuntimeException e) {
        echoFailure = "the gRPC echo baseline did not start: " + e;
        e.printStackTrace();
      }
    }

    int index = 0;
    for (Phase phase : phases) {
      index++;
      System.err.printf(
          Locale.ROOT, "bench: [%d/%d] %s ...%n", index, phases.size(), phase.label());
      if (phase.needsEcho() && echo == null) {
        report.failed(phase, echoFailure);
        continue;
      }
      long phaseStart = System.nanoTime();
      EchoBaseline e = echo;
      runPhase(phase, scope -> body(phase, scope, e), report);
      System.err.printf(
          Locale.ROOT,
          "bench: [%d/%d] %s took %.1f s%n",
          index,
          phases.size(),
          phase.label(),
          (System.nanoTime() - phaseStart) / 1e9);
    }
    if (echo != null) {
      echo.close();
    }
    report.print(System.out, (System.nanoTime() - start) / 1e9);
    return report.anyFailed() ? 1 : 0;
  }

  private Measurement body(Phase phase, Cleanup scope, EchoBaseline echo) throws Exception {
    return switch (phase) {
      case IDLE_MEMORY -> MemoryBenchmarks.idle(scope, echo, harnessBeforeRssMib);
      case REMOTE_LATENCY -> RemoteLatencyBenchmark.run(sizes, scope, echo);
      case MAP_THROUGHPUT -> MapThroughputBenchmark.run(sizes, scope, echo);
      case COLD_START -> ColdStartBenchmark.run(sizes, scope);
      case WEB_ENDPOINT -> WebEndpointBenchmark.run(sizes, scope);
      case SPAWN_DURABILITY -> SpawnDurabilityBenchmark.run(sizes, scope);
      case SPAWN_DURABILITY_POSTGRES -> SpawnDurabilityPostgresBenchmark.run(sizes, scope);
      case SERVER_PATH -> ServerPathBenchmark.run(sizes, scope);
      case QUEUED_SPAWNS -> MemoryBenchmarks.queued(sizes, scope);
    };
  }

  private interface PhaseBody {
    Measurement run(Cleanup scope) throws Exception;
  }

  /**
   * Runs one phase on its own thread within the phase limit, and records its measurement or why it
   * failed. The phase's scope is closed in every case.
   */
  private void runPhase(Phase phase, PhaseBody body, Report report) {
    Cleanup scope = root.child(phase.label());
    CompletableFuture<Measurement> result = new CompletableFuture<>();
    Thread worker =
        Thread.ofPlatform()
            .daemon()
            .name("bench-" + phase.name().toLowerCase(Locale.ROOT))
            .start(
                () -> {
                  try {
                    result.complete(body.run(scope));
                  } catch (Throwable t) {
                    result.completeExceptionally(t);
                  } finally {
                    scope.close();
                  }
                });
    try {
      report.measured(phase, result.get(sizes.phaseLimit().toMillis(), TimeUnit.MILLISECONDS));
    } catch (TimeoutException e) {
      report.failed(phase, "did not finish within " + sizes.phaseLimit().toSeconds() + " s");
      System.err.println("bench: " + phase.label() + " overran its limit; stopping it");
      dumpStack(worker);
      scope.close(); // stops its app run, which ends any call it is blocked in
      worker.interrupt();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      report.failed(phase, String.valueOf(cause));
      System.err.println("bench: " + phase.label() + " failed:");
      cause.printStackTrace();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      report.failed(phase, "the harness was interrupted");
      scope.close();
    }
    try {
      worker.join(Duration.ofSeconds(15));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (worker.isAlive()) {
      System.err.println("bench: " + phase.label() + " is still running after being stopped");
    }
  }

  private static void dumpStack(Thread worker) {
    StringBuilder trace = new StringBuilder("bench: where it was:\n");
    for (StackTraceElement frame : worker.getStackTrace()) {
      trace.append("    at ").append(frame).append('\n');
    }
    System.err.print(trace);
  }
}
