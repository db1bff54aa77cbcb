package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.skiff.AppRun;
import dev.skiff.ContainerCrashedException;
import dev.skiff.ContainerStartupException;
import dev.skiff.FunctionCall;
import dev.skiff.FunctionCancelledException;
import dev.skiff.FunctionTimeoutException;
import dev.skiff.Outcome;
import dev.skiff.PayloadException;
import dev.skiff.RunOptions;
import dev.skiff.SkiffException;
import dev.skiff.internal.PayloadCodec;
import dev.skiff.testing.SkiffExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Fault tests with real processes: crashes, retries, timeouts, cancellation, big payloads. */
@Tag("e2e")
class FaultsTest {
  @RegisterExtension
  final SkiffExtension skiff = SkiffExtension.builder().withoutWarmContainers().build();

  AppRun run;

  @BeforeEach
  void startApp() {
    run = FaultFns.app.run(RunOptions.quiet());
  }

  @AfterEach
  void stopApp() {
    run.close();
  }

  private static Set<Long> containerPids() {
    return SkiffExtension.containerProcesses().stream()
        .map(ProcessHandle::pid)
        .collect(Collectors.toSet());
  }

  private static void signal(String signal, long pid) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
  }

  @Test
  void mapReturnsEachInputOnceInOrderAfterAContainerIsKilled() throws Exception {
    List<Integer> inputs = IntStream.range(0, 1000).boxed().toList();
    CompletableFuture<List<Integer>> results =
        CompletableFuture.supplyAsync(() -> FaultFns.slowSquare.map(inputs).toList());
    await().atMost(Duration.ofSeconds(30)).until(() -> !containerPids().isEmpty());
    Set<Long> before = containerPids();
    long victim = before.iterator().next();
    signal("KILL", victim);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> containerPids().stream().anyMatch(p -> !before.contains(p)));
    List<Integer> out = results.get(120, TimeUnit.SECONDS);
    assertThat(out).hasSize(1000);
    for (int i = 0; i < 1000; i++) {
      assertThat(out.get(i)).isEqualTo(i * i);
    }
  }

  @Test
  void failingInputIsRetriedWithBackoffAndOthersSucceed(@TempDir Path dir) throws IOException {
    Path always = Files.createDirectories(dir.resolve("always"));
    Path fine1 = Files.createDirectories(dir.resolve("fine1"));
    Path fine2 = Files.createDirectories(dir.resolve("fine2"));
    List<String> inputs = List.of(fine1.toString(), always.toString(), fine2.toString());

    List<Outcome<String>> outcomes = FaultFns.flaky.mapOutcomes(inputs).toList();

    assertThat(outcomes.get(0)).isEqualTo(new Outcome.Success<>("ok"));
    assertThat(outcomes.get(2)).isEqualTo(new Outcome.Success<>("ok"));
    assertThat(outcomes.get(1)).isInstanceOf(Outcome.Failure.class);
    RuntimeException error = ((Outcome.Failure<String>) outcomes.get(1)).error();
    assertThat(error)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("always fails");

    List<Long> times =
        Files.readAllLines(always.resolve("attempts")).stream().map(Long::parseLong).toList();
    assertThat(times).hasSize(4);
    long[] expected = {1000, 2000, 4000};
    for (int k = 0; k < 3; k++) {
      long gap = times.get(k + 1) - times.get(k);
      assertThat(gap)
          .as("gap before retry %d", k + 1)
          .isBetween(expected[k] - 100, expected[k] + 3000);
    }
    assertThat(Files.readAllLines(fine1.resolve("attempts"))).hasSize(1);
  }

  @Test
  void exhaustedRetriesSayHowManyAttemptsWereMade(@TempDir Path dir) throws IOException {
    Path always = Files.createDirectories(dir.resolve("always-remote"));
    Throwable t = catchThrowable(() -> FaultFns.flaky.remote(always.toString()));
    assertThat(t).isInstanceOf(IllegalStateException.class).hasMessage("always fails");
    assertThat(t.getSuppressed())
        .singleElement()
        .satisfies(
            s ->
                assertThat(s)
                    .hasMessage(
                        "function 'flaky' failed after 4 attempts; this is the error of the last"
                            + " one"));
    SkiffException note = (SkiffException) t.getSuppressed()[0];
    assertThat(note.attempts()).hasValue(4);
    assertThat(note.containerId()).hasValueSatisfying(id -> assertThat(id).isNotBlank());
    assertThat(Files.readAllLines(always.resolve("attempts"))).hasSize(4);
  }

  @Test
  void infiniteLoopTimesOutAfterTwoAttemptsAndIsReallyStopped() {
    Throwable t = catchThrowable(() -> FaultFns.spin.remote(1));
    assertThat(t)
        .isInstanceOf(FunctionTimeoutException.class)
        .hasMessageContaining("spin")
        .hasMessageContaining("2s");
    // No container is still burning CPU on the timed-out attempts.
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              long before = cpuMillisOfContainers();
              Thread.sleep(1000); // measure over one second of wall time
              long after = cpuMillisOfContainers();
              assertThat(after - before).isLessThan(500);
            });
  }

  private static long cpuMillisOfContainers() {
    return SkiffExtension.containerProcesses().stream()
        .mapToLong(p -> p.info().totalCpuDuration().map(Duration::toMillis).orElse(0L))
        .sum();
  }

  @Test
  void staticInitialiserPastTheStartupTimeoutFailsClearly() {
    try (AppRun slow = SlowInit.app.run(RunOptions.quiet())) {
      Throwable t = catchThrowable(() -> SlowInit.identity.remote(1));
      assertThat(t).isInstanceOf(ContainerStartupException.class).hasMessageContaining("startup");
    }
  }

  @Test
  void failingStaticInitialiserFailsTheInputsWithTheCause() {
    try (AppRun broken = BrokenInit.app.run(RunOptions.quiet())) {
      Throwable t = catchThrowable(() -> BrokenInit.identity.remote(1));
      assertThat(t).isInstanceOf(ContainerStartupException.class);
      assertThat(t.toString() + t.getCause()).contains("no config file in the container");
    }
  }

  @Test
  void allocatingPastTheHeapIsACrashThatMentionsMemory() {
    Throwable t = catchThrowable(() -> FaultFns.hog.remote(64));
    assertThat(t).isInstanceOf(ContainerCrashedException.class);
    assertThat(t.getMessage()).containsIgnoringCase("memory");
  }

  @Test
  void systemExitIsACrashWithTheExitCodeAndStderr() {
    Throwable t = catchThrowable(() -> FaultFns.exitNow.remote(7));
    assertThat(t)
        .isInstanceOf(ContainerCrashedException.class)
        .hasMessageContaining("7")
        .hasMessageContaining("about to exit with 7");
    ContainerCrashedException crash = (ContainerCrashedException) t;
    assertThat(crash.exitCode()).hasValue(7);
    assertThat(crash.containerId())
        .hasValueSatisfying(id -> assertThat(crash).hasMessageContaining(id));
    assertThat(crash.attempts()).hasValue(1);
  }

  @Test
  void cancelStopsALongSleepAndFreesTheContainer() {
    FunctionCall<Long> call = FaultFns.sleepy.spawn(600_000L);
    await().atMost(Duration.ofSeconds(30)).until(() -> !containerPids().isEmpty());
    long start = System.nanoTime();
    assertThat(call.cancel()).isTrue();
    assertThatThrownBy(call::get).isInstanceOf(FunctionCancelledException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    assertThat(FaultFns.sleepy.remote(1L)).isEqualTo(1L);
    assertThat(call.cancel()).isFalse();
  }

  @Test
  void stoppedContainerIsDeclaredLostAndItsLateOutputIsDiscarded() throws Exception {
    List<Integer> inputs = IntStream.range(0, 300).boxed().toList();
    CompletableFuture<List<Integer>> results =
        CompletableFuture.supplyAsync(() -> FaultFns.stoppable.map(inputs).toList());
    await().atMost(Duration.ofSeconds(30)).until(() -> !containerPids().isEmpty());
    long victim = containerPids().iterator().next();
    signal("STOP", victim);
    try {
      List<Integer> out = results.get(120, TimeUnit.SECONDS);
      assertThat(out).hasSize(300);
      for (int i = 0; i < 300; i++) {
        assertThat(out.get(i)).isEqualTo(i + 1);
      }
    } finally {
      if (ProcessHandle.of(victim).map(ProcessHandle::isAlive).orElse(false)) {
        signal("CONT", victim);
      }
    }
  }

  @Test
  void sixtyFourMibRoundTripsByteIdentical() {
    byte[] data = new byte[64 * 1024 * 1024];
    new Random(42).nextBytes(data);
    byte[] back = FaultFns.echoBytes.remote(data);
    assertThat(back).isEqualTo(data);
  }

  @Test
  void payloadsOverTheInlineLimitTravelAsBlobsInEveryCallingStyle() throws Exception {
    byte[][] inputs = new byte[3][];
    for (int i = 0; i < inputs.length; i++) {
      inputs[i] = new byte[5 * 1024 * 1024 + i]; // over the 4 MiB inline limit
      new Random(i).nextBytes(inputs[i]);
    }
    List<byte[]> mapped = FaultFns.echoBytes.map(List.of(inputs)).toList();
    for (int i = 0; i < inputs.length; i++) {
      assertThat(mapped.get(i)).isEqualTo(inputs[i]);
    }
    assertThat(FaultFns.echoBytes.spawn(inputs[1]).get()).isEqualTo(inputs[1]);
    assertThat(FaultFns.echoBytes.remoteAsync(inputs[2]).get(60, TimeUnit.SECONDS))
        .isEqualTo(inputs[2]);
  }

  @Test
  void payloadOverTheMaximumFailsBeforeEnqueueWithSizes() {
    String old = System.getProperty(PayloadCodec.MAX_PAYLOAD_PROPERTY);
    System.setProperty(PayloadCodec.MAX_PAYLOAD_PROPERTY, Long.toString(8L * 1024 * 1024));
    try {
      assertThatThrownBy(() -> FaultFns.echoBytes.remote(new byte[9 * 1024 * 1024]))
          .isInstanceOf(PayloadException.class)
          .hasMessageContaining("9.0 MiB")
          .hasMessageContaining("8.0 MiB");
      assertThat(containerPids()).isEmpty();
    } finally {
      if (old == null) {
        System.clearProperty(PayloadCodec.MAX_PAYLOAD_PROPERTY);
      } else {
        System.setProperty(PayloadCodec.MAX_PAYLOAD_PROPERTY, old);
      }
    }
  }

  @Test
  void inputIteratorThatThrowsFailsTheMapPromptly() {
    Iterable<Integer> poisoned =
        () ->
            new Iterator<>() {
              int i;

              @Override
              public boolean hasNext() {
                return true;
              }

              @Override
              public Integer next() {
                if (++i == 5) {
                  throw new IllegalArgumentException("poisoned input 5");
                }
                return i;
              }
            };
    CompletableFuture<List<Integer>> f =
        CompletableFuture.supplyAsync(
            () -> new ArrayList<>(FaultFns.slowSquare.map(poisoned).toList()));
    Throwable t = catchThrowable(() -> f.get(20, TimeUnit.SECONDS));
    assertThat(t).hasCauseInstanceOf(IllegalArgumentException.class);
    assertThat(t.getCause()).hasMessage("poisoned input 5");
  }
}
