package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function1;

/** The app that {@link FullDiskTest} deploys to a server whose disk fills up. */
public final class DiskFns {
  private DiskFns() {}

  static final App app = App.named("full-disk");

  static final Function1<Integer, Integer> square = app.function(DiskFns::square);

  static Integer square(Integer x) {
    return x * x;
  }
}
