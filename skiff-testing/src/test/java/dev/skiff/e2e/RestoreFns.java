package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function1;
import dev.skiff.Image;
import dev.skiff.Secret;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Deployed apps for {@link RestoreTest}: one that needs a named secret, one that needs none, one
 * that runs on an image.
 */
public final class RestoreFns {
  static final String SECRET = "restore-secret";

  static final App withSecret = App.named("restore-secret-app");

  /** Sleeps {@code millis}, then returns the secret's TOKEN. */
  static final Function1<Integer, String> token =
      withSecret.function(RestoreFns::token, f -> f.secrets(Secret.fromName(SECRET)));

  static final App plain = App.named("restore-jars-app");

  static final Function1<Integer, Integer> square = plain.function(RestoreFns::square);

  static final App withImage = App.named("restore-image-app");

  /** Reads the file that its image's build wrote. */
  static final Function1<Integer, String> built =
      withImage.function(
          RestoreFns::built,
          f ->
              f.image(
                  Image.jdk(Runtime.version().feature())
                      .runCommands("echo written by the build > out.txt")));

  static String built(int unused) throws IOException {
    return Files.readString(Path.of("out.txt")).strip();
  }

  static String token(int millis) throws InterruptedException {
    Thread.sleep(millis);
    return System.getenv("TOKEN");
  }

  static int square(int x) {
    return x * x;
  }

  private RestoreFns() {}
}
