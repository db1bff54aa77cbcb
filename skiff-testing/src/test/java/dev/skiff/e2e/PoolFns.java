package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function1;

/** App "pool": one function, deployed again and again with a changed classpath. */
public final class PoolFns {
  static final App app = App.named("pool");
  static final Function1<Integer, Integer> echo = app.function(PoolFns::echo, f -> f.name("echo"));

  static int echo(int n) {
    return n;
  }

  private PoolFns() {}
}
