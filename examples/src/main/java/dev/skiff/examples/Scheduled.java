package dev.skiff.examples;

import dev.skiff.App;
import dev.skiff.Cron;
import dev.skiff.Function0;
import dev.skiff.Period;
import dev.skiff.ScheduledRun;
import java.time.Duration;
import java.time.Instant;

/**
 * The guide's scheduling example: {@code Period} runs a function at a fixed rate, {@code Cron} on
 * a cron expression, while the app runs. Here {@code everySecond} runs about three times in three
 * seconds (the guide's {@code Period(days=1)} would take a day), then the app's history is
 * printed. Scheduled functions take no arguments.
 */
public final class Scheduled {
  static final App app = App.named("scheduled");

  // @app.function(schedule=Period(seconds=1))
  static final Function0<Void> everySecond =
      app.function(Scheduled::everySecond, f -> f.schedule(Period.ofSeconds(1)));

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
      Instant until = Instant.now().plus(Duration.ofMillis(3500));
      while (Instant.now().isBefore(until)) {
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

  private Scheduled() {}
}
