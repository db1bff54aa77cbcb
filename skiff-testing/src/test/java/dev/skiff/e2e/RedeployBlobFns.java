package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function1;
import dev.skiff.Secret;

/**
 * The deployed app of {@link RedeployBlobTest}: one function that runs one input at a time in one
 * container, so that a spawn made while it is busy stays pending; it needs a named secret, so that
 * the test can keep it from being restored.
 */
public final class RedeployBlobFns {
  static final String SECRET = "redeploy-blob-secret";

  static final App app = App.named("redeploy-blobs");

  /** Returns the length of {@code text}; for "busy", after ten seconds. */
  static final Function1<String, Integer> measure =
      app.function(
          RedeployBlobFns::measure,
          f -> f.secrets(Secret.fromName(SECRET)).maxContainers(1).concurrentInputs(1));

  static int measure(String text) throws InterruptedException {
    if (text.equals("busy")) {
      Thread.sleep(10_000); // longer than a redeploy takes, even on a busy machine
    }
    return text.length();
  }

  private RedeployBlobFns() {}
}
