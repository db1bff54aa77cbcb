package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function1;
import dev.skiff.Retries;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Functions that misbehave, for the fault tests. */
final class FaultFns {
  static final App app = App.named("faults");

  /** Sleeps a little per input; retried twice when its container dies. */
  static final Function1<Integer, Integer> slowSquare =
      app.function(FaultFns::slowSquare, f -> f.retries(2));

  /** Fails every time for input "always"; records each attempt's time. */
  static final Function1<String, String> flaky =
      app.function(
          FaultFns::flaky,
          f ->
              f.retries(
                  Retries.builder()
                      .maxRetries(3)
                      .initialDelay(Duration.ofSeconds(1))
                      .backoffCoefficient(2.0)
                      .build()));

  static final Function1<Integer, Integer> spin =
      app.function(
          FaultFns::spin,
          f ->
              f.timeout(Duration.ofSeconds(2))
                  .startupTimeout(Duration.ofSeconds(60)) // a busy CI machine starts JVMs slowly
                  .retries(1));

  static final Function1<Long, Long> sleepy = app.function(FaultFns::sleepy);

  /** Allocates until its heap (3/4 of a 128 MiB limit) is exhausted. */
  static final Function1<Integer, Integer> hog =
      app.function(FaultFns::hog, f -> f.memory(64, 128));

  static final Function1<Integer, Integer> exitNow = app.function(FaultFns::exitNow);

  static final Function1<byte[], byte[]> echoBytes = app.function(FaultFns::echoBytes);

  /** Sleeps 30 ms per input, once per attempt; SIGSTOP tests hold a container mid-input. */
  static final Function1<Integer, Integer> stoppable =
      app.function(FaultFns::stoppable, f -> f.retries(2));

  static Integer slowSquare(Integer x) throws InterruptedException {
    Thread.sleep(5);
    return x * x;
  }

  static String flaky(String dir) throws IOException {
    Path attempts = Path.of(dir, "attempts");
    Files.writeString(
        attempts,
        System.currentTimeMillis() + "\n",
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    if (Path.of(dir).getFileName().toString().startsWith("always")) {
      throw new IllegalStateException("always fails");
    }
    return "ok";
  }

  static Integer spin(Integer x) {
    long n = 0;
    while (true) {
      n += x; // never checks for interruption: only a kill stops it
      if (n == Long.MIN_VALUE) {
        return 0;
      }
    }
  }

  static Long sleepy(Long millis) throws InterruptedException {
    Thread.sleep(millis);
    return millis;
  }

  @SuppressWarnings("ModifiedButNotUsed") // the list holds the memory until the container dies
  static Integer hog(Integer chunkMib) {
    List<byte[]> hoard = new ArrayList<>();
    while (true) {
      hoard.add(new byte[chunkMib * 1024 * 1024]);
    }
  }

  static Integer exitNow(Integer code) {
    System.err.println("about to exit with " + code);
    System.exit(code);
    return code;
  }

  static byte[] echoBytes(byte[] data) {
    return data;
  }

  static Integer stoppable(Integer x) throws InterruptedException {
    Thread.sleep(30);
    return x + 1;
  }

  private FaultFns() {}
}
