package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function1;
import dev.skiff.Secret;

/** Deployed apps for {@link RestoreTest}: one that needs a named secret, one that needs none. */
public final class RestoreFns {
  static final String SECRET = "restore-secret";

  static final App withSecret = App.named("restore-secret-app");

  /** Sleeps {@code millis}, then returns the secret's TOKEN. */
  static final Function1<Integer, String> token =
      withSecret.function(RestoreFns::token, f -> f.secrets(Secret.fromName(SECRET)));

  static final App plain = App.named("restore-jars-app");

  static final Function1<Integer, Integer> square = plain.function(RestoreFns::square);

  static String token(int millis) throws InterruptedException {
    Thread.sleep(millis);
    return System.getenv("TOKEN");
  }

  static int square(int x) {
    return x * x;
  }

  private RestoreFns() {}
}
