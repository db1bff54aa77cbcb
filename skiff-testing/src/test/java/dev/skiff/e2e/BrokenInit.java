package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function1;

/** An app whose static initialiser throws in a container. */
final class BrokenInit {
  static final App app = App.named("broken-init");

  static final Function1<Integer, Integer> identity = app.function(BrokenInit::identity);

  static {
    if (System.getenv("SKIFF_CONTAINER_ID") != null) {
      throw new IllegalStateException("no config file in the container");
    }
  }

  static Integer identity(Integer x) {
    return x;
  }

  private BrokenInit() {}
}
