package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function1;

/** Version 1 of app "versions": its function answers "v1" after sleeping. */
public final class VersionOne {
  static final App app = App.named("versions");
  static final Function1<Integer, String> version =
      app.function(VersionOne::version, f -> f.name("version"));

  static String version(int sleepMillis) throws InterruptedException {
    Thread.sleep(sleepMillis);
    return "v1";
  }

  private VersionOne() {}
}
