package dev.skiff.e2e.dashboard;

import dev.skiff.App;
import dev.skiff.Every;
import dev.skiff.Function0;
import dev.skiff.Function1;
import dev.skiff.Secret;
import java.util.Map;

/** The apps that the dashboard's browser test watches and steers. */
public final class DashFns {
  /** The value of the inline secret; no page may show it. */
  static final String INLINE_VALUE = "inline-secret-value-5f3c9a";

  static final App app = App.named("dashboard-test");

  /** Prints a line (which the logs page shows) and answers. */
  static final Function1<String, String> greet = app.function(DashFns::greet);

  /** Fails with an exception of its own. */
  static final Function0<String> fail = app.function(DashFns::fail);

  /** Has a named and an inline secret; says whether they arrived, never their values. */
  static final Function0<String> withSecrets =
      app.function(
          DashFns::withSecrets,
          f ->
              f.secrets(
                  Secret.fromName("dash-secret"),
                  Secret.fromMap(Map.of("INLINE_KEY", INLINE_VALUE))));

  /** Runs by itself every two seconds. */
  static final Function0<String> tick =
      app.function(DashFns::tick, f -> f.schedule(Every.seconds(2)));

  /** A deployed app that the test undeploys from the dashboard. */
  static final App stoppable = App.named("dashboard-stoppable");

  static final Function0<String> idle = stoppable.function(DashFns::idle);

  static String greet(String name) {
    System.out.println("greeting " + name);
    return "hello " + name;
  }

  static String fail() {
    return Failing.deep(3);
  }

  static String withSecrets() {
    return "API_KEY set: "
        + (System.getenv("API_KEY") != null)
        + ", INLINE_KEY set: "
        + (System.getenv("INLINE_KEY") != null);
  }

  static String tick() {
    return "tick";
  }

  static String idle() {
    return "idle";
  }

  /** Fails a few frames down, so that the remote stack trace has frames of its own. */
  static final class Failing {
    static String deep(int n) {
      if (n > 0) {
        return deep(n - 1);
      }
      throw new IllegalStateException("the dashboard test failed on purpose");
    }

    private Failing() {}
  }

  private DashFns() {}
}
