package dev.skiff.e2e.kube;

import dev.skiff.App;
import dev.skiff.Function0;
import dev.skiff.Function1;
import dev.skiff.Generator1;
import dev.skiff.Image;
import dev.skiff.Volume;
import dev.skiff.WebEndpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/** The app that the Kubernetes backend's end-to-end test deploys: each of its functions in pods. */
public final class KubeFns {
  static final App app = App.named("kube");

  static final Function1<Integer, Integer> square = app.function(KubeFns::square);

  static final Generator1<Integer, Integer> countTo = app.generator(KubeFns::countTo);

  /**
   * Crashes its container (the JVM halts) the first time, answers the second: its volume, a claim
   * every pod of it mounts, remembers the first try.
   */
  static final Function1<String, String> crashOnce =
      app.function(
          KubeFns::crashOnce,
          f -> f.retries(2).volume("/state", Volume.fromName("kube-state").createIfMissing()));

  /** Runs past its timeout (its pod may take longer than that to start). */
  static final Function0<String> slow =
      app.function(
          KubeFns::slow,
          f -> f.timeout(Duration.ofSeconds(2)).startupTimeout(Duration.ofSeconds(60)));

  static final WebEndpoint greet = app.webEndpoint(KubeFns::greet);

  /** Holds its pod for {@code seconds}. */
  static final Function1<Integer, Integer> hold = app.function(KubeFns::hold);

  /** Echoes; its pods are started only when a test says so. */
  static final Function1<String, String> echo = app.function(KubeFns::echo);

  /** Needs an A100 GPU. */
  static final Function1<String, String> onGpu =
      app.function(KubeFns::onGpu, f -> f.gpu("A100").startupTimeout(Duration.ofSeconds(60)));

  /** Runs on a registry image, whose recipe sets GREETING (the agent runs it on the host JDK). */
  static final Function1<String, String> onRegistry =
      app.function(
          KubeFns::onRegistry,
          f ->
              f.image(
                  Image.fromRegistry("registry.example/team/jre:21")
                      .env("GREETING", "hello from the registry image")
                      .workdir("/srv/app")));

  /** A file that the test writes before it deploys: {@link #onJdkImage}'s image adds it. */
  static final Path NOTE =
      Path.of(
          System.getProperty("java.io.tmpdir"),
          "skiff-kube-note-" + ProcessHandle.current().pid() + ".txt");

  /**
   * Runs on a JDK image built by the control plane: a Maven library, a variable, an added file, a
   * working directory and a build command's output, all of which its pods fetch.
   */
  static final Function1<String, String> onJdkImage =
      app.function(
          KubeFns::onJdkImage,
          f ->
              f.image(
                  Image.jdk(Runtime.version().feature())
                      .maven("org.apache.commons:commons-text:1.12.0")
                      .env("GREETING", "hello from the JDK image")
                      .addLocalFile(NOTE, "conf/note.txt")
                      .workdir("app")
                      .runCommands("echo built at image time > made.txt")));

  /** commons-text is loaded by name: only the image has it. */
  static String onJdkImage(String name) throws ReflectiveOperationException, IOException {
    String capitalized =
        (String)
            Class.forName("org.apache.commons.text.WordUtils")
                .getMethod("capitalizeFully", String.class)
                .invoke(null, name);
    return String.join(
        "|",
        System.getenv("GREETING") + ", " + capitalized,
        Files.readString(Path.of("../conf/note.txt")).strip(),
        Files.readString(Path.of("made.txt")).strip(),
        Path.of("").toAbsolutePath().toString());
  }

  static String onRegistry(String name) {
    return System.getenv("GREETING") + ", " + name;
  }

  static int hold(int seconds) throws InterruptedException {
    Thread.sleep(seconds * 1000L);
    return seconds;
  }

  static String echo(String s) {
    return s;
  }

  static String onGpu(String s) {
    return "on a GPU: " + s;
  }

  static int square(int x) {
    return x * x;
  }

  static Stream<Integer> countTo(int n) {
    return IntStream.range(0, n).boxed();
  }

  static String crashOnce(String marker) {
    Path tried = Path.of("/state").resolve(marker);
    if (!Files.exists(tried)) {
      try {
        Files.createFile(tried);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Runtime.getRuntime().halt(3);
    }
    return "survived " + marker;
  }

  static String slow() throws InterruptedException {
    Thread.sleep(60_000);
    return "too late";
  }

  static String greet(String name) {
    return "Hello from a pod, " + name + "!";
  }

  private KubeFns() {}
}
