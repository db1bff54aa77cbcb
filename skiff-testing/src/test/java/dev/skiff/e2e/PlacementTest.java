package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.skiff.AppRun;
import dev.skiff.ContainerCrashedException;
import dev.skiff.ContainerStatus;
import dev.skiff.FunctionCall;
import dev.skiff.FunctionStatus;
import dev.skiff.InvalidConfigurationException;
import dev.skiff.RunOptions;
import dev.skiff.testing.SkiffExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Placement with real containers on a declared node: 2 cores, 1024 MiB, two A100 GPUs, region
 * eu-west-1. Requests reserve capacity and wait with a visible reason; limits size the container
 * JVM; GPUs fall back in order and each container sees only its own; requests that can never fit
 * fail at {@code app.run()}.
 */
@Tag("e2e")
class PlacementTest {
  @RegisterExtension
  static final SkiffExtension skiff =
      SkiffExtension.builder().node(2, 1024, "eu-west-1", List.of("A100", "A100")).build();

  private static final Duration START = Duration.ofSeconds(60);

  private AppRun run;

  @BeforeEach
  void startApp() {
    run = PlacementFns.app.run(RunOptions.quiet());
  }

  @AfterEach
  void stopApp() {
    run.close();
  }

  private FunctionStatus status(String function) {
    return run.status().stream()
        .filter(f -> f.name().equals(function))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no status for function " + function));
  }

  @Test
  void gpuFallsBackInOrderAndEachContainerSeesOnlyItsDevice(@TempDir Path dir) throws Exception {
    Path release = dir.resolve("release");
    List<FunctionCall<String>> calls = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      calls.add(PlacementFns.gpuFallback.spawn(release.toString()));
    }
    // Two containers get the two A100s; the third waits for a device, and says so.
    await()
        .atMost(START)
        .until(
            () -> {
              FunctionStatus s = status("heldGpu");
              return s.containers(ContainerStatus.State.BUSY) == 2 && s.waitingContainers() == 1;
            });
    assertThat(status("heldGpu").waitingReason())
        .hasValue("needs 1 x H100 or 1 x A100 GPU(s), 0 of 2 A100 free");

    Files.createFile(release);
    List<String> seen = new ArrayList<>();
    for (FunctionCall<String> call : calls) {
      seen.add(call.get(Duration.ofSeconds(60)));
    }
    assertThat(seen).allMatch(s -> s.equals("A100:0") || s.equals("A100:1"));
    assertThat(seen.subList(0, 2)).containsExactlyInAnyOrder("A100:0", "A100:1");
  }

  @Test
  void aContainerThatDoesNotFitWaitsWithTheReason(@TempDir Path dir) throws Exception {
    Path release = dir.resolve("release");
    FunctionCall<Long> first = PlacementFns.tightMemory.spawn(release.toString());
    FunctionCall<Long> second = PlacementFns.tightMemory.spawn(release.toString());

    await()
        .atMost(START)
        .until(
            () -> {
              FunctionStatus s = status("heldPid");
              return s.containers(ContainerStatus.State.BUSY) == 1 && s.waitingContainers() == 1;
            });
    FunctionStatus s = status("heldPid");
    assertThat(s.containers()).hasSize(1);
    assertThat(s.waitingReason())
        .hasValueSatisfying(r -> assertThat(r).matches("needs 768 MiB, \\d+ MiB free"));

    Files.createFile(release);
    assertThat(first.get(Duration.ofSeconds(60))).isEqualTo(second.get(Duration.ofSeconds(60)));
  }

  @Test
  void allocatingPastTheMemoryLimitEndsWithAnOutOfMemoryError() {
    assertThat(PlacementFns.hog.remote(16)).isEqualTo(16);
    assertThatThrownBy(() -> PlacementFns.hog.remote(512))
        .isInstanceOf(ContainerCrashedException.class)
        .hasMessageContaining("ran out of memory")
        .hasMessageContaining("its memory limit is 256 MiB");
  }

  @Test
  void whereControlGroupsAreAvailableTheMemoryLimitIsHardOffTheHeapToo() throws Exception {
    assertThat(PlacementFns.hog.remote(16)).isEqualTo(16);
    List<String> limits = containerGroupValues("memory", "memory.limit_in_bytes", "memory.max");
    assumeHardLimits(!limits.isEmpty());
    assertThat(limits).contains(Long.toString(256L * 1024 * 1024));
    // 96 MiB of heap plus 200 MiB of direct buffers: within the JVM's own limits (192 MiB heap,
    // direct memory up to the same), past the container's 256 MiB in all.
    assertThatThrownBy(() -> PlacementFns.offHeapHog.remote(200))
        .isInstanceOf(ContainerCrashedException.class)
        .hasMessageContaining("ran out of memory")
        .hasMessageContaining("the kernel ended the container at its memory limit of 256 MiB")
        .hasMessageContaining("its memory limit is 256 MiB");
  }

  @Test
  void whereControlGroupsAreAvailableTheCpuLimitIsAQuota() throws Exception {
    assertThat(PlacementFns.limitedCpu.remote()).isEqualTo(1);
    List<String> quotas = containerGroupValues("cpu", "cpu.cfs_quota_us", "cpu.max");
    assumeHardLimits(!quotas.isEmpty());
    // One core: a full period of CPU time per period (v1 quota, or v2 "quota period").
    assertThat(quotas).containsAnyOf("100000", "100000 100000");
  }

  /**
   * The value of a limit file in the control group of each live container process, read from this
   * side (a sandboxed container does not see /sys): {@code v1File} under the controller's
   * hierarchy, or {@code v2File} in the unified one; containers without a limit are left out.
   */
  private static List<String> containerGroupValues(String controller, String v1File, String v2File)
      throws IOException {
    List<String> values = new ArrayList<>();
    for (ProcessHandle p : SkiffExtension.containerProcesses()) {
      Path procCgroup = Path.of("/proc", Long.toString(p.pid()), "cgroup");
      if (!Files.exists(procCgroup)) {
        continue;
      }
      for (String line : Files.readAllLines(procCgroup)) {
        String[] parts = line.split(":", 3);
        Path file =
            List.of(parts[1].split(",")).contains(controller)
                ? Path.of("/sys/fs/cgroup", controller + parts[2], v1File)
                : parts[1].isEmpty() ? Path.of("/sys/fs/cgroup" + parts[2], v2File) : null;
        if (file != null && Files.exists(file)) {
          String value = Files.readString(file).trim();
          if (!value.equals("max")
              && !value.startsWith("max ")
              && !value.equals("-1")
              && !value.equals("9223372036854771712")) {
            values.add(value);
          }
        }
      }
    }
    return values;
  }

  /**
   * Skips a test of hard limits where this machine gives no control groups to Skiff; in CI (root on
   * Linux) they must be there.
   */
  private static void assumeHardLimits(boolean available) {
    if (System.getenv("CI") != null) {
      assertThat(available).as("control groups for hard limits in CI").isTrue();
    }
    assumeTrue(available, "this machine gives Skiff no control groups for hard limits");
  }

  @Test
  void theCpuLimitSetsTheProcessorsTheContainerSeesAndItsRegionRunsWhereTheNodeHasTheLabel() {
    // limitedCpu asks for region eu-west-1, which this node is labelled with (ScalingTest shows
    // the same request failing on a node labelled "local").
    assertThat(PlacementFns.limitedCpu.remote()).isEqualTo(1);
  }

  @Test
  void requestsThatCanNeverFitFailAtRun() {
    assertThatThrownBy(() -> PlacementFns.h100App.run(RunOptions.quiet()))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage(
            "function 'processors' of app 'placement-h100' can never be placed: gpu 1 x H100 is"
                + " not available on any node; the node has 2 x A100");
    assertThatThrownBy(() -> PlacementFns.bigApp.run(RunOptions.quiet()))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage(
            "function 'processors' of app 'placement-big' can never be placed: a memory request of"
                + " 4096 MiB can never fit: the node has 1024 MiB");
  }
}
