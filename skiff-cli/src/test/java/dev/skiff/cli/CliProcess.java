package dev.skiff.cli;

import dev.skiff.testing.SkiffExtension;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs the {@code ./skiff} launcher at the repository root as a child process, with this JVM's JDK
 * and a given {@code SKIFF_HOME}, and captures its output. A run that outlives its deadline is
 * killed with all its descendants.
 */
final class CliProcess {
  /** The repository root (the parent of this module's directory). */
  static final Path ROOT = Path.of("").toAbsolutePath().getParent();

  /** The JVM options of the servers and containers that tests start: C1 alone. */
  private static final String QUICK_START =
      String.join(" ", SkiffExtension.QUICK_START_JVM_OPTIONS);

  record Result(int exitCode, String out, String err) {
    String all() {
      return out + err;
    }
  }

  private CliProcess() {}

  static Result run(Path skiffHome, Duration deadline, String... args) {
    return run(skiffHome, Map.of(), deadline, args);
  }

  static Result run(Path skiffHome, Map<String, String> env, Duration deadline, String... args) {
    List<String> command = new ArrayList<>();
    command.add(ROOT.resolve("skiff").toString());
    command.addAll(List.of(args));
    Path out;
    Path err;
    try {
      out = Files.createTempFile("skiff-cli-out-", ".txt");
      err = Files.createTempFile("skiff-cli-err-", ".txt");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(ROOT.toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().put("SKIFF_HOME", skiffHome.toString());
    pb.environment().remove("SKIFF_SERVER");
    pb.environment().remove("SKIFF_TOKEN");
    // Servers and `run` of tests live for seconds: C1 alone, as the launcher gives other commands.
    pb.environment().put("SKIFF_JAVA_OPTIONS", QUICK_START);
    pb.environment().putAll(env);
    Process process = null;
    long start = System.nanoTime();
    try {
      process = pb.start();
      if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError(
            "skiff "
                + String.join(" ", args)
                + " did not finish within "
                + deadline
                + "; stderr: "
                + Files.readString(err));
      }
      // In the test's output file: where a slow test spends its time.
      System.out.printf(
          "skiff %s: exit %d after %d ms%n",
          String.join(" ", args), process.exitValue(), (System.nanoTime() - start) / 1_000_000);
      return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    } finally {
      if (process != null && process.isAlive()) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
      try {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      } catch (IOException e) {
        // Temporary files; nothing else to do.
      }
    }
  }

  /** A CLI process left running; its output goes to a file. */
  record Running(Process process, Path out) implements AutoCloseable {
    String output() {
      try {
        return Files.readString(out);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Stops the process with SIGTERM (so that it stops its own children), then SIGKILL. */
    @Override
    public void close() {
      List<ProcessHandle> descendants = process.descendants().toList();
      process.destroy();
      try {
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
        descendants.forEach(ProcessHandle::destroyForcibly);
        Files.deleteIfExists(out);
      } catch (IOException e) {
        // A temporary file; nothing else to do.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Starts the CLI without waiting; stdout and stderr go to one file. A {@code server} runs its
   * containers with the C1 compiler alone, as the test fixtures' containers do.
   */
  static Running start(Path skiffHome, Map<String, String> env, String... args) {
    List<String> command = new ArrayList<>();
    command.add(ROOT.resolve("skiff").toString());
    command.addAll(List.of(args));
    if (args.length > 0 && args[0].equals("server")) {
      command.add("--container-jvm-options=" + QUICK_START);
    }
    try {
      Path out = Files.createTempFile("skiff-cli-out-", ".txt");
      ProcessBuilder pb =
          new ProcessBuilder(command)
              .directory(ROOT.toFile())
              .redirectErrorStream(true)
              .redirectOutput(out.toFile());
      pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
      pb.environment().put("SKIFF_HOME", skiffHome.toString());
      pb.environment().remove("SKIFF_SERVER");
      pb.environment().remove("SKIFF_TOKEN");
      // Servers and `run` of tests live for seconds: C1 alone, as the launcher gives other
      // commands.
      pb.environment().put("SKIFF_JAVA_OPTIONS", QUICK_START);
      pb.environment().putAll(env);
      return new Running(pb.start(), out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void deleteTree(Path root) {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // Best effort: under the system's temporary directory.
    }
  }
}
