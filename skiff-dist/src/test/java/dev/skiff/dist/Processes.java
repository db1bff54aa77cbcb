package dev.skiff.dist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs the commands of the tests (Maven, java, the archive's {@code bin/skiff}, tar) as child
 * processes with a deadline; a run that outlives it is killed with all its descendants.
 */
final class Processes {
  private Processes() {}

  /** What a finished command printed and its exit code. */
  record Result(List<String> command, int exitCode, String out, String err) {
    String all() {
      return out + err;
    }

    /** A description for failed assertions: the command, its exit code and its output. */
    String describe() {
      return String.join(" ", command)
          + " exited with "
          + exitCode
          + "\nstdout:\n"
          + out
          + "\nstderr:\n"
          + err;
    }
  }

  /** Runs {@code command} in {@code dir} with {@code env} added to this JVM's environment. */
  static Result run(Path dir, Map<String, String> env, Duration deadline, List<String> command) {
    Path out;
    Path err;
    try {
      out = Files.createTempFile("skiff-dist-out-", ".txt");
      err = Files.createTempFile("skiff-dist-err-", ".txt");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Process process = null;
    try {
      process =
          builder(dir, env, command)
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .start();
      if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError(
            String.join(" ", command)
                + " did not finish within "
                + deadline
                + "\nstdout:\n"
                + Files.readString(out)
                + "\nstderr:\n"
                + Files.readString(err));
      }
      return new Result(command, process.exitValue(), Files.readString(out), Files.readString(err));
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
      deleteTree(out);
      deleteTree(err);
    }
  }

  /** A command left running, its stdout and stderr in one file; closing it stops it. */
  record Running(Process process, Path outputFile) implements AutoCloseable {
    String output() {
      try {
        return Files.readString(outputFile);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** SIGTERM (so that it stops its own children), SIGKILL after 20 s, then descendants left. */
    @Override
    public void close() {
      List<ProcessHandle> descendants = process.descendants().toList();
      process.destroy();
      try {
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        descendants.forEach(ProcessHandle::destroyForcibly);
        deleteTree(outputFile);
      }
    }
  }

  /** Starts {@code command} without waiting for it. */
  static Running start(Path dir, Map<String, String> env, List<String> command) {
    Path output = null;
    try {
      output = Files.createTempFile("skiff-dist-out-", ".txt");
      Process process =
          builder(dir, env, command)
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
      return new Running(process, output);
    } catch (IOException e) {
      deleteTree(output);
      throw new UncheckedIOException(e);
    }
  }

  private static ProcessBuilder builder(Path dir, Map<String, String> env, List<String> command) {
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    // Never the developer's own server: each test names its SKIFF_HOME.
    pb.environment().remove("SKIFF_SERVER");
    pb.environment().remove("SKIFF_TOKEN");
    pb.environment().putAll(env);
    return pb;
  }

  /** Deletes a file or a directory tree, best effort. */
  static void deleteTree(Path root) {
    if (root == null || !Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // Best effort: under the system's temporary directory.
    }
  }
}
