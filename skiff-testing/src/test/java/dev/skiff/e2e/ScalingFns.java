package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function0;
import dev.skiff.Function1;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * The apps and functions of {@link ScalingTest}, one app per scenario so that each test sees only
 * its own containers. Containers initialise this class as the tests do.
 */
final class ScalingFns {
  private ScalingFns() {}

  /** A burst against a cap of three containers. */
  static final App burstApp = App.named("scaling-burst");

  static final Function1<Integer, Integer> burst =
      burstApp.function(ScalingFns::doubleSlowly, f -> f.maxContainers(3));

  /** Two containers kept warm, with a short idle window that they must outlive. */
  static final App warmApp = App.named("scaling-warm");

  static final Function0<Long> warm =
      warmApp.function(
          ScalingFns::pid, f -> f.minContainers(2).scaledownWindow(Duration.ofSeconds(1)));

  /** One idle container beyond demand while there is load; back to zero two seconds after. */
  static final App bufferApp = App.named("scaling-buffer");

  static final Function1<String, Long> buffered =
      bufferApp.function(
          ScalingFns::awaitFile,
          f -> f.bufferContainers(1).maxContainers(3).scaledownWindow(Duration.ofSeconds(2)));

  /** Ten inputs at once in one container. */
  static final App concurrentApp = App.named("scaling-concurrent");

  static final Function1<Long, Long> sleepy =
      concurrentApp.function(ScalingFns::sleepThenPid, f -> f.concurrentInputs(10));

  /** Declared with the defaults (scale to zero); changed while running. */
  static final App adjustableApp = App.named("scaling-adjustable");

  static final Function0<Long> adjustable = adjustableApp.function(ScalingFns::pid);

  /** One function with the run's container cap, one with its own. */
  static final App cappedApp = App.named("scaling-capped");

  static final Function1<Long, Long> uncapped = cappedApp.function(ScalingFns::sleepThenPid);

  static final Function0<Long> ownCap =
      cappedApp.function(ScalingFns::pid, f -> f.maxContainers(3));

  static Integer doubleSlowly(Integer x) throws InterruptedException {
    Thread.sleep(20);
    return 2 * x;
  }

  static Long pid() {
    return ProcessHandle.current().pid();
  }

  static Long sleepThenPid(Long millis) throws InterruptedException {
    Thread.sleep(millis);
    return ProcessHandle.current().pid();
  }

  /** Holds its container busy until {@code path} exists (at most 60 s), then returns its pid. */
  static Long awaitFile(String path) throws InterruptedException {
    Instant deadline = Instant.now().plusSeconds(60);
    while (!Files.exists(Path.of(path))) {
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException(path + " did not appear within 60 s");
      }
      Thread.sleep(20);
    }
    return ProcessHandle.current().pid();
  }
}
