package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Every;
import dev.skiff.Function0;

/** A deployed app with one function on a two-second period, for the restart tests of schedules. */
public final class CatchUpFns {
  static final App app = App.named("catch-up");

  static final Function0<String> beat =
      app.function(CatchUpFns::beat, f -> f.schedule(Every.seconds(2)));

  static String beat() {
    return "beat";
  }

  private CatchUpFns() {}
}
