package dev.skiff.examples;

import dev.skiff.App;
import dev.skiff.AppRun;
import dev.skiff.Cron;
import dev.skiff.Every;
import dev.skiff.Function0;
import dev.skiff.ScheduledRun;
import java.time.Duration;
import java.time.Instant;

/**
 * The guide's scheduling example: {@code Every} (the guide's {@code Period}) runs a function at a
 * fixed rate, {@code Cron} on a cron expression, while the app runs. Here {@code everySecond} runs
 * about three times in three seconds (the guide's {@code Period(days=1)} would take a day; a slow
 * machine waits for two finished runs), then the app's history is printed. Scheduled functions take
 * no arguments.
 */
public final class Scheduled {
  static final App app = App.named("scheduled");

  // @app.function(schedule=Period(seconds=1))
  static final Function0<Void> everySecond =
      app.function(Scheduled::everySecond, f -> f.schedule(Every.seconds(1)));

  // @app.function(schedule=Cron("0 */6 * * *"))
  static final Function0<Void> everySixHours =
      app.function(Scheduled::everySixHours, f -> f.schedule(Cron.of("0 */6 * * *")));

  static void everySecond() {
    System.out.println("Running every second at " + Instant.now());
  }

  static void everySixHours() {
    System.out.println("Running every 6 hours");
  }

  public static void main(String[] args) throws InterruptedException {
    try (var run = app.run()) {
      // Watch for about three seconds, and on a slow machine until two runs have finished (the
      // first waits for a container to start), but never more than a minute.
      Instant start = Instant.now();
      while (Instant.now().isBefore(start.plus(Duration.ofMinutes(1)))
          && (Instant.now().isBefore(start.plus(Duration.ofMillis(3500))) || finished(run) < 2)) {
        Thread.sleep(100);
      }
      for (ScheduledRun r : run.history()) {
        String state =
            switch (r.state()) {
              case ScheduledRun.Running running -> "running";
              case ScheduledRun.Succeeded s -> "succeeded";
              case ScheduledRun.Failed f -> "failed: " + f.error();
            };
        System.out.println(r.function() + " for " + r.scheduledAt() + ": " + state);
      }
    }
  }

  private static long finished(AppRun run) {
    return run.history().stream().filter(r -> r.state() instanceof ScheduledRun.Succeeded).count();
  }

  private Scheduled() {}
}
