package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function1;
import java.time.Duration;

/** An app whose class takes too long to initialise in a container (but not in the test JVM). */
final class SlowInit {
  static final App app = App.named("slow-init");

  static final Function1<Integer, Integer> identity =
      app.function(SlowInit::identity, f -> f.startupTimeout(Duration.ofSeconds(2)));

  static {
    if (System.getenv("SKIFF_CONTAINER_ID") != null) {
      try {
        Thread.sleep(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  static Integer identity(Integer x) {
    return x;
  }

  private SlowInit() {}
}
