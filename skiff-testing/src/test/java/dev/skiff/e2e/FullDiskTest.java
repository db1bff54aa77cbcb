package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.FunctionCall;
import dev.skiff.RemoteFunction;
import dev.skiff.SkiffException;
import dev.skiff.testing.ServerProcess;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A server whose data directory fills up (a tmpfs of its own, shrunk to what it holds and then
 * filled to the last byte) while 1,000 durable spawns and a deploy arrive: every call is answered,
 * promptly, with an id or an error that names the store; calls that need no write go on; once there
 * is room again new spawns succeed without a restart; and after kill -9 and a restart every spawn
 * that was acknowledged, before, during or after, completes.
 */
@Tag("e2e")
class FullDiskTest {
  private static final long ROOMY = 1L << 30;
  private static final Duration ANSWERED = Duration.ofMinutes(2);

  /** What one spawn got: its call id, or the error it was refused with. */
  private record Outcome(int input, Optional<String> id, Optional<String> error) {}

  @Test
  void aFullDiskAnswersEverySpawnLosesNothingAcknowledgedAndRecovers() throws Exception {
    try (ServerProcess server = ServerProcess.startOnSmallDisk(ROOMY)) {
      server.useInThisJvm();
      DiskFns.app.deploy();
      RemoteFunction<Integer> square =
          RemoteFunction.fromName("full-disk", "square", Integer.class);
      assertThat(square.remote(3)).isEqualTo(9);
      List<Outcome> before = IntStream.range(0, 50).mapToObj(i -> spawn(square, i)).toList();
      assertThat(before).allMatch(o -> o.id().isPresent());

      FileStore disk = Files.getFileStore(server.dataDirOnDisk());
      long used = disk.getTotalSpace() - disk.getUnallocatedSpace();
      server.resizeDisk(used + (4 << 20));
      Path filler = server.dataDirOnDisk().resolve("filler");
      fill(filler);

      List<Outcome> outcomes;
      String redeploy;
      ExecutorService callers = Executors.newFixedThreadPool(16);
      try {
        List<Future<Outcome>> spawns =
            IntStream.range(0, 1000).mapToObj(i -> callers.submit(() -> spawn(square, i))).toList();
        Future<String> deploy = callers.submit(FullDiskTest::deploy);
        await().atMost(ANSWERED).until(() -> spawns.stream().allMatch(Future::isDone));
        await().atMost(ANSWERED).until(deploy::isDone);
        outcomes = spawns.stream().map(FullDiskTest::get).toList();
        redeploy = deploy.get();
      } finally {
        callers.shutdownNow();
      }
      List<Outcome> refused = outcomes.stream().filter(o -> o.error().isPresent()).toList();
      Map<String, Long> errors =
          refused.stream()
              .collect(Collectors.groupingBy(o -> o.error().orElseThrow(), Collectors.counting()));
      System.out.printf(
          "full disk: %d of 1000 spawns acknowledged, %d refused %s; the deploy: %s%n",
          outcomes.size() - refused.size(), refused.size(), errors, redeploy);
      assertThat(refused).as("spawns refused for the full disk").isNotEmpty();
      assertThat(errors.keySet()).allMatch(e -> e.contains("store"), "each names the store");
      // What needs no write goes on.
      assertThat(square.remote(5)).isEqualTo(25);

      server.resizeDisk(ROOMY);
      Files.delete(filler);
      await()
          .atMost(ANSWERED)
          .ignoreExceptions()
          .until(() -> square.spawn(7).get(Duration.ofSeconds(30)) == 49);
      List<Outcome> after = IntStream.range(0, 50).mapToObj(i -> spawn(square, i)).toList();
      assertThat(after).allMatch(o -> o.id().isPresent());

      server.kill9();
      server.restart();
      List<Outcome> acknowledged = new ArrayList<>(before);
      acknowledged.addAll(outcomes);
      acknowledged.addAll(after);
      for (Outcome o : acknowledged) {
        if (o.id().isPresent()) {
          FunctionCall<Integer> call = FunctionCall.fromId(o.id().orElseThrow());
          assertThat(call.get(ANSWERED)).as(o.id().orElseThrow()).isEqualTo(o.input() * o.input());
        }
      }
    }
  }

  private static Outcome spawn(RemoteFunction<Integer> square, int input) {
    try {
      return new Outcome(input, Optional.of(square.spawn(input).id()), Optional.empty());
    } catch (SkiffException e) {
      return new Outcome(input, Optional.empty(), Optional.of(e.getMessage()));
    }
  }

  private static String deploy() {
    try {
      return "deployed version " + DiskFns.app.deploy().version();
    } catch (SkiffException e) {
      return "refused: " + e.getMessage();
    }
  }

  private static <T> T get(Future<T> f) {
    try {
      return f.get();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Writes to {@code file} until its filesystem has no room left. */
  private static void fill(Path file) {
    byte[] chunk = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(file)) {
      while (true) {
        out.write(chunk);
      }
    } catch (IOException full) {
      // No space left on the device: that was the point.
    }
  }
}
