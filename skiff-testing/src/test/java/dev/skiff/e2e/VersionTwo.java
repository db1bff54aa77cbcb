package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function1;

/** Version 2 of app "versions": the same function name, answering "v2". */
public final class VersionTwo {
  static final App app = App.named("versions");
  static final Function1<Integer, String> version =
      app.function(VersionTwo::version, f -> f.name("version"));

  static String version(int sleepMillis) throws InterruptedException {
    Thread.sleep(sleepMillis);
    return "v2";
  }

  private VersionTwo() {}
}
