package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function0;
import dev.skiff.Function1;
import dev.skiff.Function2;
import dev.skiff.Function3;
import dev.skiff.Function4;
import dev.skiff.Generator1;
import dev.skiff.Generator2;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * The functions that the end-to-end tests call. Containers initialise this class as the tests do.
 */
final class Fns {
  static final App app = App.named("e2e");

  static final Function0<Long> pid = app.function(Fns::pid);
  static final Function0<List<String>> jvmArguments = app.function(Fns::jvmArguments);
  static final Function1<String, String> hello = app.function(Fns::hello);
  static final Function1<Integer, Integer> square = app.function(Fns::square);
  static final Function1<Integer, Integer> failOnSevens = app.function(Fns::failOnSevens);
  static final Function2<Integer, Integer, Integer> add = app.function(Fns::add);
  static final Function3<String, Integer, Boolean, String> three = app.function(Fns::three);
  static final Function4<Integer, Integer, Integer, Integer, Integer> sum4 =
      app.function(Fns::sum4);
  static final Function1<Shape, Shape> echoShape = app.function(Fns::echoShape);
  static final Function1<Holder, String> touch = app.function(Fns::touch);
  static final Function1<String, String> throwIllegalArgument =
      app.function(Fns::throwIllegalArgument);
  static final Function1<String, String> throwGhost = app.function(Fns::throwGhost);
  static final Function1<String, String> throwChecked = app.function(Fns::throwChecked);
  static final Function1<String, String> throwQuiet = app.function(Fns::throwQuiet);
  static final Function2<String, String, String> throwForged = app.function(Fns::throwForged);
  static final Function1<String, String> slowHello = app.asyncFunction(Fns::slowHello);
  static final Function1<Long, Long> sleepMillis = app.function(Fns::sleepMillis);
  static final Function1<String, Integer> lengthOfRemoteHello =
      app.function(Fns::lengthOfRemoteHello);
  static final Function1<Object, String> describe = app.function(Fns::describe);
  static final Generator1<Integer, Integer> countTo = app.generator(Fns::countTo);
  static final Generator2<String, Integer, Integer> gated = app.generator(Fns::gated);
  static final Function1<String, String> lambda =
      app.function((String s) -> s.toUpperCase(Locale.ROOT), f -> f.name("upper"));

  /** A record with the kinds of values a payload may hold. */
  record Shape(
      String name,
      int sides,
      double area,
      List<String> tags,
      Map<String, Integer> counts,
      Optional<String> note,
      byte[] raw,
      Kind kind,
      String missing) {}

  enum Kind {
    ROUND,
    ANGULAR
  }

  /** Something that cannot be encoded: Jackson finds no properties in a bare Object. */
  record Holder(String path, Object opaque) {}

  /** The options the container's JVM was started with. */
  static List<String> jvmArguments() {
    return ManagementFactory.getRuntimeMXBean().getInputArguments();
  }

  static long pid() {
    return ProcessHandle.current().pid();
  }

  static String hello(String name) {
    return "Hello, " + name + "!";
  }

  static Integer square(Integer x) {
    return x * x;
  }

  static Integer failOnSevens(Integer x) {
    if (x % 1000 == 7) {
      throw new IllegalStateException("input " + x + " is unlucky");
    }
    return x * 2;
  }

  static int add(int a, int b) {
    return a + b;
  }

  static String three(String s, Integer n, Boolean loud) {
    String r = s.repeat(n);
    return loud ? r.toUpperCase(Locale.ROOT) : r;
  }

  static int sum4(int a, int b, int c, int d) {
    return a + b + c + d;
  }

  static Shape echoShape(Shape s) {
    return s;
  }

  static String touch(Holder h) throws IOException {
    Files.writeString(Path.of(h.path()), "ran");
    return "ran";
  }

  static String throwIllegalArgument(String why) {
    try {
      throw new UncheckedIOException(new IOException("disk on fire"));
    } catch (UncheckedIOException e) {
      throw new IllegalArgumentException("bad input: " + why, e);
    }
  }

  /**
   * Throws an exception whose class exists only in a directory that this function loads, so the
   * caller cannot load it.
   */
  static String throwGhost(String classDir) throws Exception {
    try (URLClassLoader loader =
        new URLClassLoader(new URL[] {Path.of(classDir).toUri().toURL()})) {
      Class<?> ghost = loader.loadClass("ghost.GhostException");
      throw (RuntimeException) ghost.getConstructor(String.class).newInstance("boo");
    }
  }

  /**
   * Throws an exception of a class it defines itself under any name (here, the name of a class the
   * caller has), so that the error it reports names that class: what hostile code can do.
   */
  static String throwForged(String classDir, String className) throws Exception {
    URL[] dir = {Path.of(classDir).toUri().toURL()};
    try (URLClassLoader own = new URLClassLoader(dir, ClassLoader.getPlatformClassLoader())) {
      Class<?> forged = own.loadClass(className);
      throw (RuntimeException) forged.getConstructor(String.class).newInstance("forged");
    }
  }

  /** The user's unchecked exception, nested, with a package-private constructor. */
  static class QuietError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    QuietError(String message, Throwable cause) {
      super(message, cause);
    }
  }

  static String throwQuiet(String why) {
    throw new QuietError("quiet: " + why, new IllegalStateException("hush"));
  }

  static String throwChecked(String why) throws IOException {
    throw new IOException("checked: " + why);
  }

  static CompletionStage<String> slowHello(String name) {
    return CompletableFuture.supplyAsync(
        () -> "Hello later, " + name + "!",
        CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS));
  }

  static Long sleepMillis(Long millis) throws InterruptedException {
    Thread.sleep(Duration.ofMillis(millis));
    return millis;
  }

  static Integer lengthOfRemoteHello(String name) {
    return hello.remote(name).length();
  }

  static String describe(Object o) {
    return o == null ? "null" : o.getClass().getSimpleName();
  }

  static Stream<Integer> countTo(int n) {
    return IntStream.range(0, n).boxed();
  }

  /**
   * Yields 1, then waits until {@code dir/release} exists before yielding 2, 3, ...; records in
   * {@code dir/closed} that its stream was closed.
   */
  static Stream<Integer> gated(String dir, Integer n) {
    Path release = Path.of(dir, "release");
    return IntStream.rangeClosed(1, n)
        .boxed()
        .peek(
            i -> {
              if (i == 2) {
                while (!Files.exists(release)) {
                  try {
                    Thread.sleep(10);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while gated", e);
                  }
                }
              }
              if (i > 2) {
                try {
                  Thread.sleep(20);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  throw new IllegalStateException("interrupted", e);
                }
              }
              try {
                Files.writeString(Path.of(dir, "produced"), Integer.toString(i));
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            })
        .onClose(
            () -> {
              try {
                Files.writeString(Path.of(dir, "closed"), "closed");
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
  }

  private Fns() {}
}
