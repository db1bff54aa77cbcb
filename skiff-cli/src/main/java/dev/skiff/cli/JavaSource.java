package dev.skiff.cli;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Compiles a single {@code .java} file with {@code javax.tools} against Skiff's jars, into a
 * directory that then goes on the program's classpath, so that its containers load the same
 * classes.
 */
final class JavaSource {
  private JavaSource() {}

  /** A compiled source file: where its classes are and its main class's binary name. */
  record Compiled(Path classes, String mainClass) {}

  /**
   * Compiles {@code source} into {@code outputDir}. The main class is the top-level class named
   * like the file.
   *
   * @throws CliException if the file is not a readable {@code .java} file, no compiler is available
   *     (a JRE instead of a JDK), or it does not compile (the compiler's messages are printed to
   *     {@code err} first)
   */
  static Compiled compile(Path source, List<Path> classpath, Path outputDir, PrintWriter err) {
    String fileName = source.getFileName().toString();
    if (!fileName.endsWith(".java")) {
      throw new CliException(
          "'" + source + "' is not a .java file; give a .java file or --class NAME", 2);
    }
    if (!Files.isRegularFile(source) || !Files.isReadable(source)) {
      throw new CliException("cannot read '" + source + "': no such file", 2);
    }
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    if (compiler == null) {
      throw new CliException(
          "no Java compiler in "
              + System.getProperty("java.home")
              + "; run skiff with a JDK (not a JRE) to run .java files");
    }
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    List<String> options = new ArrayList<>();
    options.add("-d");
    options.add(outputDir.toString());
    options.add("-classpath");
    options.add(String.join(File.pathSeparator, classpath.stream().map(Path::toString).toList()));
    options.add("-parameters");
    options.add("-proc:none");
    options.add("-implicit:none");
    StringWriter compilerOut = new StringWriter();
    boolean ok;
    try (StandardJavaFileManager files =
        compiler.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
      ok =
          compiler
              .getTask(
                  compilerOut,
                  files,
                  diagnostics,
                  options,
                  null,
                  files.getJavaFileObjects(source.toFile()))
              .call();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
      if (d.getKind() == Diagnostic.Kind.ERROR
          || d.getKind() == Diagnostic.Kind.WARNING
          || d.getKind() == Diagnostic.Kind.MANDATORY_WARNING) {
        err.println(
            source
                + ":"
                + d.getLineNumber()
                + ": "
                + d.getKind().name().toLowerCase(Locale.ROOT)
                + ": "
                + d.getMessage(Locale.ROOT));
      }
    }
    if (!compilerOut.toString().isBlank()) {
      err.print(compilerOut);
    }
    err.flush();
    if (!ok) {
      throw new CliException("'" + source + "' does not compile (see the messages above)");
    }
    String simpleName = fileName.substring(0, fileName.length() - ".java".length());
    return new Compiled(outputDir, mainClassNamed(outputDir, simpleName, source));
  }

  private static String mainClassNamed(Path classes, String simpleName, Path source) {
    try (Stream<Path> all = Files.walk(classes)) {
      List<Path> matches =
          all.filter(p -> p.getFileName().toString().equals(simpleName + ".class")).toList();
      if (matches.size() != 1) {
        throw new CliException(
            "'"
                + source
                + "' declares no top-level class named "
                + simpleName
                + "; the class with main must be named like the file");
      }
      String relative = classes.relativize(matches.get(0)).toString();
      return relative
          .substring(0, relative.length() - ".class".length())
          .replace(File.separatorChar, '.');
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
