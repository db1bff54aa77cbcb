package dev.skiff.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/**
 * What a command runs: a single {@code .java} file compiled on the fly, or a main class on a
 * classpath. Shared by {@code run} and {@code deploy}.
 */
final class ProgramOptions {
  @Option(
      names = "--class",
      paramLabel = "NAME",
      description =
          "Run this main class (a binary name, e.g. com.example.Hello) instead of a .java"
              + " file; find it on --classpath.")
  String mainClass;

  @Option(
      names = {"-cp", "--classpath"},
      paramLabel = "PATH",
      split = ":",
      description =
          "Directories and jars to put before Skiff's own on the classpath, separated"
              + " by ':'. A .java file is compiled against them too.")
  List<Path> classpath = new ArrayList<>();

  /** A program ready to run; {@link #close()} removes its compiled classes. */
  record Program(List<Path> classpath, String mainClass, List<String> args, Path tempDir)
      implements AutoCloseable {
    @Override
    public void close() {
      if (tempDir != null) {
        try (Stream<Path> paths = Files.walk(tempDir)) {
          paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
          // Best effort: the directory is under the system's temporary directory.
        }
      }
    }
  }

  /**
   * The program that {@code positional} names: with {@code --class}, every positional argument is
   * the program's; otherwise the first is the {@code .java} file, compiled into a new temporary
   * directory, and the rest are the program's.
   */
  Program resolve(List<String> positional, PrintWriter err) {
    for (Path p : classpath) {
      if (!Files.exists(p)) {
        throw new CliException("classpath entry '" + p + "' does not exist", 2);
      }
    }
    if (mainClass != null) {
      if (!mainClass.matches("[\\p{L}_$][\\p{L}\\p{N}_$]*(\\.[\\p{L}_$][\\p{L}\\p{N}_$]*)*")) {
        throw new CliException("--class '" + mainClass + "' is not a Java class name", 2);
      }
      return new Program(List.copyOf(classpath), mainClass, List.copyOf(positional), null);
    }
    if (positional.isEmpty()) {
      throw new CliException("give a .java file, or --class NAME with --classpath PATH", 2);
    }
    Path source = Path.of(positional.get(0));
    Path dir;
    try {
      dir = Files.createTempDirectory("skiff-classes-");
    } catch (IOException e) {
      throw new UncheckedIOException("could not create a directory for the compiled classes", e);
    }
    try {
      List<Path> compileAgainst = new ArrayList<>(classpath);
      compileAgainst.addAll(ChildJvm.skiffClasspath());
      JavaSource.Compiled compiled = JavaSource.compile(source, compileAgainst, dir, err);
      List<Path> cp = new ArrayList<>();
      cp.add(compiled.classes());
      cp.addAll(classpath);
      return new Program(
          List.copyOf(cp),
          compiled.mainClass(),
          List.copyOf(positional.subList(1, positional.size())),
          dir);
    } catch (RuntimeException e) {
      new Program(List.of(), "", List.of(), dir).close();
      throw e;
    }
  }
}
