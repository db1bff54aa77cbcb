package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.AppRun;
import dev.skiff.FunctionCall;
import dev.skiff.RunOptions;
import dev.skiff.testing.SkiffExtension;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A container that swaps a named pipe in and out of its volume while it reads that name through the
 * volume API on many connections stalls nothing but its own volume's operations: the control plane
 * keeps serving other containers. (An open that lands on a pipe blocks until a writer comes; on a
 * transport thread it stalled every container sharing that thread.)
 */
@Tag("e2e")
class VolumePipeTest {
  @RegisterExtension
  static final SkiffExtension skiff = SkiffExtension.builder().withoutWarmContainers().build();

  @Test
  void aPipeSwappedIntoAVolumeStallsNoOneElse() throws Exception {
    try (AppRun run = PipeFns.app.run(RunOptions.quiet())) {
      assertThat(PipeFns.ping.remote()).isEqualTo("pong"); // its container is up before the attack
      FunctionCall<String> attack = PipeFns.attack.spawn(6);
      // While the attack runs and after it, the bystander still answers within a bound.
      for (int i = 0; i < 5; i++) {
        assertThat(CompletableFuture.supplyAsync(PipeFns.ping::remote).get(30, TimeUnit.SECONDS))
            .isEqualTo("pong");
      }
      assertThat(attack.get(Duration.ofMinutes(2))).startsWith("swaps=");
      assertThat(CompletableFuture.supplyAsync(PipeFns.ping::remote).get(30, TimeUnit.SECONDS))
          .isEqualTo("pong");
    } finally {
      // Opening the pipe read-write (which never blocks on Linux) is the writer that the volume
      // reads stuck on it wait for: they wake, find a pipe, and end.
      Path pipe = skiff.dataDir().resolve("volumes").resolve(PipeFns.VOLUME).resolve(".pipe");
      if (Files.exists(pipe)) {
        try (RandomAccessFile writer = new RandomAccessFile(pipe.toFile(), "rw")) {
          // Opened: the stuck readers are released.
        }
      }
    }
  }
}
