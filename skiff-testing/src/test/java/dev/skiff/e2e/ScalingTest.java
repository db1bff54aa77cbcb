package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skiff.AppRun;
import dev.skiff.ContainerStatus;
import dev.skiff.FunctionCall;
import dev.skiff.FunctionStatus;
import dev.skiff.InvalidConfigurationException;
import dev.skiff.RunOptions;
import dev.skiff.testing.SkiffExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The autoscaler with real containers: the cap under a burst, warm minimums, buffer containers, the
 * scale-down window, input concurrency, and settings changed while an app runs. Containers are
 * counted through {@link AppRun#status()}, which lists each function's containers (warm containers
 * not yet bound to a function are not among them).
 */
@Tag("e2e")
class ScalingTest {
  @RegisterExtension static final SkiffExtension skiff = SkiffExtension.create();

  private static final Duration START = Duration.ofSeconds(60);

  private static FunctionStatus status(AppRun run, String function) {
    return run.status().stream()
        .filter(f -> f.name().equals(function))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no status for function " + function));
  }

  /** The function's containers that serve or will serve inputs (not those stopping). */
  private static int live(AppRun run, String function) {
    FunctionStatus s = status(run, function);
    return s.containers().size() - s.containers(ContainerStatus.State.STOPPING);
  }

  /** One sample of a function's containers: when, how many exist, and in which states. */
  private record Sample(long millis, FunctionStatus status) {
    int count() {
      return status.containers().size();
    }

    /** The containers by state, e.g. {@code 3 container(s) starting=1 idle=0 busy=2 ...}. */
    String shape() {
      return String.format(
          "%d container(s)  starting=%d idle=%d busy=%d stopping=%d",
          count(),
          status.containers(ContainerStatus.State.STARTING),
          status.containers(ContainerStatus.State.IDLE),
          status.containers(ContainerStatus.State.BUSY),
          status.containers(ContainerStatus.State.STOPPING));
    }

    String line() {
      return String.format(
          "%6d ms  %s  queued=%d running=%d",
          millis, shape(), status.queuedInputs(), status.runningInputs());
    }
  }

  @Test
  void burstOf200InputsNeverHasMoreThanMaxContainers() throws Exception {
    List<Sample> samples = new ArrayList<>();
    try (AppRun run = ScalingFns.burstApp.run(RunOptions.quiet());
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor()) {
      long t0 = System.nanoTime();
      sampler.scheduleAtFixedRate(
          () -> {
            FunctionStatus s = status(run, "doubleSlowly");
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            synchronized (samples) {
              samples.add(new Sample(millis, s));
            }
          },
          0,
          25,
          TimeUnit.MILLISECONDS);

      List<Integer> inputs = IntStream.range(0, 200).boxed().toList();
      List<Integer> results = ScalingFns.burst.map(inputs).toList();

      sampler.shutdown();
      assertThat(sampler.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
      assertThat(results).isEqualTo(inputs.stream().map(x -> 2 * x).toList());
    }
    List<Sample> timeline;
    synchronized (samples) {
      timeline = List.copyOf(samples);
    }
    System.out.println(
        "burst of 200 inputs, maxContainers(3): containers over time ("
            + timeline.size()
            + " samples; the first, each change of the containers, and the last shown)");
    String last = "";
    for (int i = 0; i < timeline.size(); i++) {
      Sample s = timeline.get(i);
      if (!s.shape().equals(last) || i == timeline.size() - 1) {
        System.out.println(s.line());
        last = s.shape();
      }
    }
    assertThat(timeline).isNotEmpty();
    assertThat(timeline).allSatisfy(s -> assertThat(s.count()).isLessThanOrEqualTo(3));
    assertThat(timeline.stream().mapToInt(Sample::count).max().orElseThrow()).isEqualTo(3);
  }

  @Test
  void minContainersComeUpWithoutTrafficAndStayPastTheWindow() {
    try (AppRun run = ScalingFns.warmApp.run(RunOptions.quiet())) {
      await()
          .atMost(START)
          .until(() -> status(run, "pid").containers(ContainerStatus.State.IDLE) == 2);
      // The window is 1 s: the two idle containers outlive it because they are the minimum.
      await()
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(10))
          .until(() -> status(run, "pid").containers(ContainerStatus.State.IDLE) == 2);
      FunctionStatus s = status(run, "pid");
      assertThat(s.containers()).hasSize(2);
      assertThat(s.desiredContainers()).isEqualTo(2);
      assertThat(s.autoscaler().minContainers()).isEqualTo(2);
    }
  }

  @Test
  void bufferKeepsAnIdleContainerUnderLoadAndIdleOnesStopAfterTheWindow(@TempDir Path dir)
      throws Exception {
    try (AppRun run = ScalingFns.bufferApp.run(RunOptions.quiet())) {
      assertThat(status(run, "awaitFile").containers()).isEmpty(); // scale to zero by default

      Path release = dir.resolve("release");
      FunctionCall<Long> call = ScalingFns.buffered.spawn(release.toString());
      await()
          .atMost(START)
          .until(
              () -> {
                FunctionStatus s = status(run, "awaitFile");
                return s.containers(ContainerStatus.State.BUSY) == 1
                    && s.containers(ContainerStatus.State.IDLE) == 1;
              });
      // The buffer container stays although it idles past the 2 s window: the load wants it.
      await()
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> {
                FunctionStatus s = status(run, "awaitFile");
                return s.containers().size() == 2 && s.containers(ContainerStatus.State.IDLE) == 1;
              });
      assertThat(status(run, "awaitFile").desiredContainers()).isEqualTo(2);

      Files.createFile(release);
      assertThat(call.get(Duration.ofSeconds(30))).isPositive();

      // No load: the buffer lapses and both containers stop once idle for the window.
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> status(run, "awaitFile").containers().isEmpty());
      assertThat(status(run, "awaitFile").desiredContainers()).isZero();
    }
  }

  @Test
  void tenConcurrentInputsOfOneSecondShareOneContainer() {
    try (AppRun run = ScalingFns.concurrentApp.run(RunOptions.quiet())) {
      long warmPid = ScalingFns.sleepy.remote(0L); // the container is up before the clock starts

      long t0 = System.nanoTime();
      List<Long> pids =
          ScalingFns.sleepy.map(IntStream.range(0, 10).mapToObj(i -> 1000L).toList()).toList();
      Duration took = Duration.ofNanos(System.nanoTime() - t0);

      System.out.println(
          "10 inputs of 1 s each with concurrentInputs(10) took " + took.toMillis() + " ms");
      assertThat(took).isLessThan(Duration.ofSeconds(5)); // well under 10 s
      assertThat(new HashSet<>(pids)).containsExactly(warmPid);
      assertThat(status(run, "sleepThenPid").containers()).hasSize(1);
    }
  }

  @Test
  void updateAutoscalerStartsAndStopsContainersAtOnce() {
    try (AppRun run = ScalingFns.adjustableApp.run(RunOptions.quiet())) {
      assertThat(status(run, "pid").containers()).isEmpty();

      ScalingFns.adjustable.updateAutoscaler(2, 4, 0, Duration.ofSeconds(1));

      assertThat(status(run, "pid").autoscaler().minContainers()).isEqualTo(2);
      await()
          .atMost(START)
          .until(() -> status(run, "pid").containers(ContainerStatus.State.IDLE) == 2);

      ScalingFns.adjustable.updateAutoscaler(0, 4, 0, Duration.ofSeconds(1));
      await().atMost(Duration.ofSeconds(20)).until(() -> live(run, "pid") == 0);
    }
  }

  @Test
  void theRunsContainerCapAppliesToEachFunctionThatSetsNone() {
    try (AppRun run = ScalingFns.cappedApp.run(RunOptions.quiet().withMaxContainers(7))) {
      assertThat(status(run, "sleepThenPid").autoscaler().maxContainers()).isEqualTo(7);
      assertThat(status(run, "pid").autoscaler().maxContainers()).isEqualTo(3);
    }

    // A cap of one: three overlapping calls share one container, where the default cap (at least
    // two) would start a second.
    try (AppRun run = ScalingFns.cappedApp.run(RunOptions.quiet().withMaxContainers(1))) {
      List<FunctionCall<Long>> calls =
          IntStream.range(0, 3).mapToObj(i -> ScalingFns.uncapped.spawn(1_000L)).toList();
      List<Long> pids = calls.stream().map(c -> c.get(START)).toList();
      assertThat(new HashSet<>(pids)).hasSize(1);
      assertThat(status(run, "sleepThenPid").autoscaler().maxContainers()).isEqualTo(1);
    }

    assertThatThrownBy(() -> RunOptions.quiet().withMaxContainers(0))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage("run options: maxContainers was 0; allowed is 1..1000");
  }

  @Test
  void aRegionThatNoNodeHasFailsAtRun() {
    // This control plane's node is this machine, labelled "local" (PlacementTest labels its own).
    assertThatThrownBy(() -> PlacementFns.euApp.run(RunOptions.quiet()))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage(
            "function 'processors' of app 'placement-eu' can never be placed: region eu-west-1 has"
                + " no node; the only node is in region 'local'");
  }

  @Test
  void updateAutoscalerRefusesInconsistentSettingsAndChangesNothing() {
    try (AppRun run = ScalingFns.adjustableApp.run(RunOptions.quiet())) {
      assertThatThrownBy(
              () -> ScalingFns.adjustable.updateAutoscaler(3, 2, 0, Duration.ofSeconds(5)))
          .isInstanceOf(InvalidConfigurationException.class)
          .hasMessage(
              "function 'pid': minContainers (3) is greater than maxContainers (2); allowed is"
                  + " minContainers <= maxContainers");
      assertThatThrownBy(() -> ScalingFns.adjustable.updateAutoscaler(0, 2, 0, Duration.ZERO))
          .isInstanceOf(InvalidConfigurationException.class)
          .hasMessage("function 'pid': scaledownWindow was PT0S; allowed is PT1S..PT24H");
      assertThat(status(run, "pid").autoscaler().minContainers()).isZero();
    }
  }
}
