package dev.skiff.bench;

import dev.skiff.AppRun;
import dev.skiff.RunOptions;
import dev.skiff.server.store.postgres.LocalPostgres;
import dev.skiff.testing.ServerProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Durable spawns with the server's store in PostgreSQL against the same with it in SQLite, in the
 * same run: the rounds of {@link SpawnDurabilityBenchmark} (N concurrent spawns from {@link
 * Sizes#SPAWN_DURABILITY_THREADS} threads, every result then read and checked), on a long-running
 * server whose store is a real PostgreSQL ({@link LocalPostgres}, started here with {@code fsync}
 * on, so that a commit is on disk as SQLite's {@code synchronous=FULL} commit is) and on one whose
 * store is its default SQLite file.
 *
 * <p>Only one server at a time can be installed for {@code app.run()} in this JVM, so the sides run
 * in blocks ({@link Sizes#durableBlocks} per side; alternating, SQLite first, where there are
 * several): each block starts its server (PostgreSQL's on a new, empty database; SQLite's in a new
 * data directory), runs the app, warms a container, runs the warm-up rounds and then its share of
 * the timed rounds, and closes everything. A side's rate is its timed spawns over the time of its
 * timed rounds, all blocks together.
 */
final class SpawnDurabilityPostgresBenchmark {
  static Measurement.SpawnDurabilityPostgres run(Sizes sizes, Cleanup scope) throws Exception {
    Progress progress = Progress.of("spawn_durability_postgres");
    // The timed rounds of spawn_durability per side, shared among its blocks.
    int blocksPerSide = sizes.durableBlocks();
    int roundsPerBlock = Math.max(1, Math.ceilDiv(sizes.durableRounds(), blocksPerSide));
    // PostgreSQL starts (initdb, then the server) while the first (SQLite) server starts; that
    // block waits for it before its first spawn, so that it disturbs no round.
    CompletableFuture<LocalPostgres> startingPostgres = new CompletableFuture<>();
    Thread.ofPlatform()
        .daemon()
        .name("bench-postgres-start")
        .start(
            () -> {
              try {
                // Registered as soon as it exists: the scope stops it even if the phase failed.
                startingPostgres.complete(scope.register(LocalPostgres.start(true)));
                progress.step("PostgreSQL started (fsync on), meanwhile");
              } catch (Throwable t) {
                startingPostgres.completeExceptionally(t);
              }
            });
    Path passwordFile = Files.createTempFile("skiff-bench-db-password-", "");
    scope.register(() -> Files.deleteIfExists(passwordFile));
    ExecutorService pool = Executors.newFixedThreadPool(Sizes.SPAWN_DURABILITY_THREADS);
    try {
      Files.writeString(passwordFile, LocalPostgres.PASSWORD + "\n", StandardCharsets.UTF_8);
      Callable<LocalPostgres> postgres =
          () -> startingPostgres.get(sizes.phaseLimit().toNanos(), TimeUnit.NANOSECONDS);
      int n = sizes.durableSpawns();
      long sqliteNanos = 0;
      long postgresNanos = 0;
      List<String> blocks = new ArrayList<>();
      for (int block = 0; block < 2 * blocksPerSide; block++) {
        boolean onPostgres = block % 2 == 1;
        long nanos;
        if (onPostgres) {
          String url = postgres.call().newDatabase() + "?user=" + LocalPostgres.USER;
          nanos =
              block(
                  "PostgreSQL",
                  server -> server.output().contains("store in " + url),
                  sizes,
                  scope,
                  pool,
                  roundsPerBlock,
                  progress,
                  postgres,
                  "--database",
                  url,
                  "--database-password-file",
                  passwordFile.toString());
          postgresNanos += nanos;
        } else {
          nanos =
              block(
                  "SQLite",
                  server -> Files.exists(server.dataDir().resolve("skiff.db")),
                  sizes,
                  scope,
                  pool,
                  roundsPerBlock,
                  progress,
                  postgres);
          sqliteNanos += nanos;
        }
        blocks.add(
            String.format(
                Locale.ROOT,
                "%s %,.0f",
                onPostgres ? "PostgreSQL" : "SQLite",
                Measurement.perSecond((long) n * roundsPerBlock, nanos)));
      }
      long total = (long) n * roundsPerBlock * blocksPerSide;
      return new Measurement.SpawnDurabilityPostgres(
          n,
          Sizes.SPAWN_DURABILITY_THREADS,
          blocksPerSide,
          roundsPerBlock,
          Measurement.perSecond(total, postgresNanos),
          Measurement.perSecond(total, sqliteNanos),
          blocks);
    } finally {
      pool.shutdownNow(); // does not wait; interrupts spawners left by a failure
      if (startingPostgres.isDone() && !startingPostgres.isCompletedExceptionally()) {
        startingPostgres.join().close();
        progress.step("PostgreSQL stopped");
      } // else: still starting after a failure; the scope stops it once it is registered
      Files.deleteIfExists(passwordFile);
    }
  }

  /**
   * One block: a server with {@code serverArgs}, which must show that its store is {@code side}'s
   * ({@code usesStore}), then (once {@code postgres} has started) warm-up rounds and {@code rounds}
   * timed rounds on it; returns the nanoseconds of the timed rounds. The server and the app run are
   * closed in every case.
   */
  private static long block(
      String side,
      Predicate<ServerProcess> usesStore,
      Sizes sizes,
      Cleanup scope,
      ExecutorService pool,
      int rounds,
      Progress progress,
      Callable<LocalPostgres> postgres,
      String... serverArgs)
      throws Exception {
    ServerProcess server = scope.register(ServerProcess.startWithFullJit(serverArgs));
    try {
      if (!usesStore.test(server)) {
        throw new IllegalStateException(
            "the server started for the "
                + side
                + " side does not use "
                + side
                + ":\n"
                + server.output());
      }
      progress.step(side + ": server started");
      postgres.call();
      server.useInThisJvm();
      try (AppRun run = BenchFunctions.STORED_SPAWN_APP.run(RunOptions.quiet())) {
        SpawnDurabilityBenchmark.check(
            BenchFunctions.storedSpawnInc.remote(0), 1, "warm-up call on the " + side + " server");
        progress.step(side + ": container warm");
        int n = sizes.durableSpawns();
        for (int i = 0; i < sizes.durableWarmupRounds(); i++) {
          SpawnDurabilityBenchmark.round(BenchFunctions.storedSpawnInc, pool, n, sizes);
        }
        progress.step(side + ": " + sizes.durableWarmupRounds() + " warm-up round(s)");
        long nanos = 0;
        for (int i = 0; i < rounds; i++) {
          nanos += SpawnDurabilityBenchmark.round(BenchFunctions.storedSpawnInc, pool, n, sizes);
        }
        progress.step(
            String.format(
                Locale.ROOT,
                "%s: %d timed round(s), %,.0f spawns/s",
                side,
                rounds,
                Measurement.perSecond((long) n * rounds, nanos)));
        return nanos;
      }
    } finally {
      server.close();
    }
  }

  private SpawnDurabilityPostgresBenchmark() {}
}
