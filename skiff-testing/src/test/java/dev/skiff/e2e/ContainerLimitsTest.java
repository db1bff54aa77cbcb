package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.skiff.AppRun;
import dev.skiff.ContainerCrashedException;
import dev.skiff.RunOptions;
import dev.skiff.testing.SkiffExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The limits every container gets without asking: a memory limit of 2 GiB (the JVM's heap is sized
 * to it) unless its function sets its own, and at most 4096 processes and threads, so that a
 * function that starts threads without end stops at the limit and the control plane goes on.
 */
@Tag("e2e")
class ContainerLimitsTest {
  @RegisterExtension static final SkiffExtension skiff = SkiffExtension.builder().build();

  private AppRun run;

  @BeforeEach
  void startApp() {
    run = LimitFns.app.run(RunOptions.quiet());
  }

  @AfterEach
  void stopApp() {
    run.close();
  }

  @Test
  void aContainerWithoutAMemoryOptionIsLimitedByDefaultAndOneWithItKeepsItsOwn() {
    // -Xmx is 3/4 of the limit: 1536 MiB of the default 2048, 384 MiB of a 512 MiB limit.
    assertThat(LimitFns.defaultHeap.remote()).isLessThanOrEqualTo(1536);
    assertThat(LimitFns.ownLimitHeap.remote()).isLessThanOrEqualTo(384);
  }

  @Test
  void aThreadBombStopsAtThePidsLimitAndTheControlPlaneGoesOn() throws IOException {
    assertThat(LimitFns.threads.remote(10)).isEqualTo(10);
    boolean limited = false;
    for (ProcessHandle p : SkiffExtension.containerProcesses()) {
      limited |= pidsLimitOf(p.pid()).filter(v -> v.equals("4096")).isPresent();
    }
    if (System.getenv("CI") != null) {
      assertThat(limited).as("a pids control group in CI").isTrue();
    }
    assumeTrue(limited, "this machine gives Skiff no pids control group");
    int started;
    try {
      started = LimitFns.threads.remote(6000);
    } catch (ContainerCrashedException e) {
      // The JVM may end itself when a thread cannot be created (-XX:+ExitOnOutOfMemoryError).
      assertThat(e).hasMessageContaining("memory");
      started = 0;
    }
    System.out.println("thread bomb: " + started + " of 6000 threads started");
    assertThat(started).isLessThan(4096);
    assertThat(LimitFns.defaultHeap.remote()).isPositive();
    assertThat(LimitFns.threads.remote(10)).isEqualTo(10);
  }

  /** The pids.max of a process's pids control group (v1, or v2's unified group), if it has one. */
  private static Optional<String> pidsLimitOf(long pid) throws IOException {
    Path procCgroup = Path.of("/proc", Long.toString(pid), "cgroup");
    if (!Files.exists(procCgroup)) {
      return Optional.empty();
    }
    for (String line : Files.readAllLines(procCgroup)) {
      String[] parts = line.split(":", 3);
      Path file =
          List.of(parts[1].split(",")).contains("pids")
              ? Path.of("/sys/fs/cgroup/pids" + parts[2], "pids.max")
              : parts[1].isEmpty() ? Path.of("/sys/fs/cgroup" + parts[2], "pids.max") : null;
      if (file != null && Files.exists(file)) {
        return Optional.of(Files.readString(file).trim());
      }
    }
    return Optional.empty();
  }
}
