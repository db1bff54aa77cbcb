package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Every;
import dev.skiff.Function0;
import dev.skiff.Function1;
import dev.skiff.Function2;
import dev.skiff.Generator1;
import dev.skiff.Volume;
import dev.skiff.WebEndpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/** The app that the server tests deploy: plain, recording, generator and scheduled functions. */
public final class DeployedFns {
  static final App app = App.named("durable");

  static final Function1<Integer, Integer> square = app.function(DeployedFns::square);

  /** The volume where {@link #record} keeps what ran (containers see only their volumes). */
  static final String RECORD_VOLUME = "durable-record";

  /**
   * Appends each input to a file of the volume {@link #RECORD_VOLUME} (the record of what ran),
   * then returns it doubled.
   */
  static final Function2<String, Integer, Integer> record =
      app.function(
          DeployedFns::record,
          f ->
              f.concurrentInputs(8)
                  .maxContainers(2)
                  .timeout(Duration.ofSeconds(60))
                  .volume("/record", Volume.fromName(RECORD_VOLUME).createIfMissing()));

  /**
   * The length of a text, after a pause (so that a spawn of it is still running when the server is
   * killed); a text past 4 MiB travels as a blob.
   */
  static final Function1<String, Integer> lengthOf =
      app.function(DeployedFns::lengthOf, f -> f.timeout(Duration.ofSeconds(30)));

  static final Generator1<Integer, Integer> countTo = app.generator(DeployedFns::countTo);

  static final Function0<String> tick =
      app.function(DeployedFns::tick, f -> f.schedule(Every.seconds(1)));

  static final WebEndpoint greet = app.webEndpoint(DeployedFns::greet);

  /** The pid of the container that ran it, after {@code millis} ms. */
  static final Function1<Integer, Long> pidAfter =
      app.function(DeployedFns::pidAfter, f -> f.timeout(Duration.ofSeconds(60)));

  static long pidAfter(int millis) throws InterruptedException {
    Thread.sleep(millis);
    return ProcessHandle.current().pid();
  }

  /** The options the container's JVM was started with, joined by spaces. */
  static final Function0<String> jvmArguments = app.function(DeployedFns::jvmArguments);

  static String jvmArguments() {
    return String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments());
  }

  static String greet(String name) {
    return "Hello, " + name + "!";
  }

  static int lengthOf(String text) throws InterruptedException {
    Thread.sleep(1000);
    return text.length();
  }

  static int square(int x) {
    return x * x;
  }

  static int record(String file, int input) throws InterruptedException {
    try {
      Files.writeString(
          Path.of("/record").resolve(file),
          input + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Thread.sleep(40);
    return input * 2;
  }

  static Stream<Integer> countTo(int n) {
    return IntStream.range(0, n).boxed();
  }

  static String tick() {
    return "tick";
  }

  private DeployedFns() {}
}
