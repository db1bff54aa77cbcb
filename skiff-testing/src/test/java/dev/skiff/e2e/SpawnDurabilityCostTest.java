package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.App;
import dev.skiff.Function1;
import dev.skiff.FunctionCall;
import dev.skiff.RunOptions;
import dev.skiff.testing.ServerProcess;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * 1,000 concurrent spawns on the long-running server, where each is committed to the store before
 * it returns, and on an embedded control plane (memory only) in the same run, as the baseline;
 * each measured after one warm-up round. Prints both times; asserts only behaviour (every call
 * distinct and correct).
 */
@Tag("e2e")
class SpawnDurabilityCostTest {
  static final App app = App.named("spawn-cost");
  static final Function1<Integer, Integer> inc = app.function(SpawnDurabilityCostTest::inc);

  static int inc(int x) {
    return x + 1;
  }

  @Test
  void thousandConcurrentSpawnsAreStoredAndAllComplete() throws Exception {
    spawnThousand(); // warm-up of the client and the embedded plane; not counted
    long memory = spawnThousand();
    long stored;
    try (ServerProcess server = ServerProcess.start()) {
      server.useInThisJvm();
      spawnThousand(); // warm-up of the server; not counted
      stored = spawnThousand();
    }
    System.out.printf(
        "1000 concurrent spawns (64 threads): %d ms on the server (stored, group commit),"
            + " %d ms embedded (memory only)%n",
        stored, memory);
  }

  private static long spawnThousand() throws Exception {
    try (var run = app.run(RunOptions.quiet());
        ExecutorService pool = Executors.newFixedThreadPool(64)) {
      assertThat(inc.remote(0)).isEqualTo(1); // warm: a container is up
      long start = System.nanoTime();
      List<Future<FunctionCall<Integer>>> spawns = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        int x = i;
        spawns.add(pool.submit(() -> inc.spawn(x)));
      }
      List<FunctionCall<Integer>> calls = new ArrayList<>();
      for (Future<FunctionCall<Integer>> f : spawns) {
        calls.add(f.get());
      }
      long elapsed = (System.nanoTime() - start) / 1_000_000;
      HashSet<String> ids = new HashSet<>();
      for (int i = 0; i < calls.size(); i++) {
        ids.add(calls.get(i).id());
        assertThat(calls.get(i).get()).isEqualTo(i + 1);
      }
      assertThat(ids).hasSize(1000);
      return elapsed;
    }
  }
}
