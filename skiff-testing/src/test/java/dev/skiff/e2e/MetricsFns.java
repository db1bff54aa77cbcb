package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Every;
import dev.skiff.Function0;
import dev.skiff.Function1;
import dev.skiff.Retries;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** Functions whose outcomes are known in advance, for the metrics test. */
final class MetricsFns {
  static final App app = App.named("metrics-e2e");

  static final Function1<Integer, Integer> twice = app.function(MetricsFns::twice);

  static final Function1<Integer, Integer> boom = app.function(MetricsFns::boom);

  /** Fails its first attempt in each container, then succeeds: retried once. */
  static final Function1<Integer, Integer> flaky =
      app.function(
          MetricsFns::flaky,
          f ->
              f.maxContainers(1)
                  .retries(
                      Retries.builder().maxRetries(1).initialDelay(Duration.ofMillis(10)).build()));

  static final Function0<String> slow =
      app.function(
          MetricsFns::slow,
          f -> f.timeout(Duration.ofSeconds(1)).startupTimeout(Duration.ofSeconds(60)));

  static final Function0<String> tick =
      app.function(MetricsFns::tick, f -> f.schedule(Every.seconds(1)));

  private static final AtomicInteger flakyAttempts = new AtomicInteger();

  static Integer twice(Integer x) {
    return 2 * x;
  }

  static Integer boom(Integer x) {
    throw new IllegalArgumentException("boom " + x);
  }

  static Integer flaky(Integer x) {
    if (flakyAttempts.incrementAndGet() == 1) {
      throw new IllegalStateException("the first attempt fails");
    }
    return x;
  }

  static String slow() throws InterruptedException {
    Thread.sleep(60_000);
    return "late";
  }

  static String tick() {
    return "tick";
  }

  private MetricsFns() {}
}
