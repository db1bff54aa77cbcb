package dev.skiff.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Java program run as a child process of the CLI with the CLI's own JDK, its standard streams
 * passed through. The child gets Skiff's jars after the given classpath, so that it (and the
 * containers it starts, which reuse its classpath) find both the user's classes and Skiff.
 */
final class ChildJvm {
  private ChildJvm() {}

  /** The jars and directories the CLI runs with: Skiff's SDK, server and their dependencies. */
  static List<Path> skiffClasspath() {
    return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(s -> !s.isBlank())
        .map(Path::of)
        .toList();
  }

  /**
   * Runs {@code mainClass} with {@code args} and waits for it; if the CLI is stopped first, the
   * child is stopped too (SIGTERM, then SIGKILL after 10 s) and {@code cleanup} runs.
   *
   * @return the child's exit code
   */
  static int run(List<Path> userClasspath, String mainClass, List<String> args, Runnable cleanup) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("--enable-native-access=ALL-UNNAMED");
    // Skiff's jars bring slf4j-api without a provider: SLF4J's notice about that is noise here.
    command.add("-Dslf4j.internal.verbosity=ERROR");
    if (Runtime.version().feature() >= 24) {
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    List<Path> classpath = new ArrayList<>(userClasspath);
    classpath.addAll(skiffClasspath());
    command.add("-cp");
    command.add(String.join(File.pathSeparator, classpath.stream().map(Path::toString).toList()));
    command.add(mainClass);
    command.addAll(args);
    Process process;
    try {
      process = new ProcessBuilder(command).inheritIO().start();
    } catch (IOException e) {
      throw new CliException("could not start java for " + mainClass + ": " + e.getMessage());
    }
    Thread stopChild =
        new Thread(
            () -> {
              if (process.isAlive()) {
                process.destroy();
                try {
                  if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                  }
                } catch (InterruptedException e) {
                  process.destroyForcibly();
                }
              }
              cleanup.run();
            },
            "skiff-stop-child");
    Runtime.getRuntime().addShutdownHook(stopChild);
    try {
      return process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      return 130;
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(stopChild);
      } catch (IllegalStateException e) {
        // Already shutting down: the hook stops the child.
      }
    }
  }
}
