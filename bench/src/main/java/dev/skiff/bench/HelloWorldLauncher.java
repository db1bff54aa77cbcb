package dev.skiff.bench;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * The cold-start baseline: a bare {@code java -cp <dir> Hello} launch on this JVM's JDK, timed from
 * the moment the harness decides to start it to the moment its one line of output arrives. The
 * class is written and compiled into a temporary directory once, by {@link #create}. {@link
 * #close()} deletes that directory. Not thread-safe.
 */
final class HelloWorldLauncher implements AutoCloseable {
  private static final String SOURCE =
      """
      public class Hello {
        public static void main(String[] args) {
          System.out.println("hello");
        }
      }
      """;
  private static final long EXIT_LIMIT_MS = 10_000;

  private final Path directory;
  private final Cleanup scope;

  private HelloWorldLauncher(Path directory, Cleanup scope) {
    this.directory = directory;
    this.scope = scope;
  }

  /** Writes and compiles {@code Hello} into a new temporary directory. */
  static HelloWorldLauncher create(Cleanup scope) throws IOException {
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    if (compiler == null) {
      throw new IllegalStateException(
          "this JVM (" + System.getProperty("java.home") + ") has no Java compiler; run on a JDK");
    }
    Path directory = Files.createTempDirectory("skiff-bench-hello");
    HelloWorldLauncher launcher = scope.register(new HelloWorldLauncher(directory, scope));
    Path source = directory.resolve("Hello.java");
    Files.writeString(source, SOURCE, StandardCharsets.UTF_8);
    var diagnostics = new ByteArrayOutputStream();
    int status =
        compiler.run(
            null,
            diagnostics,
            diagnostics,
            "-d",
            directory.toString(),
            "-Xlint:none",
            source.toString());
    if (status != 0) {
      throw new IllegalStateException(
          "compiling Hello failed: " + diagnostics.toString(StandardCharsets.UTF_8));
    }
    return launcher;
  }

  /**
   * Launches {@code Hello} once and returns the nanoseconds from just before the launch to the
   * arrival of its output line; then waits (bounded) for the process to exit.
   */
  long launchNanos() throws IOException, InterruptedException {
    ProcessBuilder builder =
        new ProcessBuilder(
                ChildProcess.javaExecutable().toString(), "-cp", directory.toString(), "Hello")
            .redirectErrorStream(true);
    long start = System.nanoTime();
    ChildProcess hello = ChildProcess.of("hello-world JVM", builder.start(), scope);
    try (var out =
        new BufferedReader(
            new InputStreamReader(hello.process().getInputStream(), StandardCharsets.UTF_8))) {
      String line = out.readLine();
      long elapsed = System.nanoTime() - start;
      if (!"hello".equals(line)) {
        throw new IllegalStateException("Hello printed '" + line + "' instead of 'hello'");
      }
      if (!hello.awaitExit(EXIT_LIMIT_MS)) {
        throw new IllegalStateException(hello + " did not exit within " + EXIT_LIMIT_MS + " ms");
      }
      return elapsed;
    } finally {
      hello.close();
      hello.process().getInputStream().close();
      hello.process().getOutputStream().close();
    }
  }

  @Override
  public void close() throws IOException {
    if (!Files.exists(directory)) {
      return;
    }
    try (Stream<Path> files = Files.walk(directory)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  @Override
  public String toString() {
    return "hello-world launcher in " + directory;
  }
}
