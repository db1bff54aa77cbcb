package dev.skiff.server.backend.local;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** A stand-in container entrypoint whose behaviour the test picks with {@code TEST_MODE}. */
public final class ScriptedMain {
  private ScriptedMain() {}

  public static void main(String[] args) throws InterruptedException {
    System.out.println("id=" + System.getenv("SKIFF_CONTAINER_ID"));
    System.out.println("parent=" + System.getenv("SKIFF_PARENT_PID"));
    switch (System.getenv("TEST_MODE")) {
      case "crash" -> {
        for (int i = 1; i <= 60; i++) {
          System.err.println("err " + i);
        }
        System.exit(3);
      }
      case "fake-oom" -> {
        System.err.println("before");
        System.out.println("Terminating due to java.lang.OutOfMemoryError: Java heap space");
        System.exit(3);
      }
      case "sleep" -> {
        System.out.println("sleeping");
        Thread.sleep(Long.MAX_VALUE);
      }
      case "plant-link" -> plantLinks();
      case "read-archive" -> readArchive();
      case "tamper" -> tamperWithArchive();
      default -> System.exit(0);
    }
  }

  /** The file paths this JVM was given in {@code -XX:<name>=<path>} flags. */
  private static List<Path> flagPaths(String... names) {
    List<Path> paths = new ArrayList<>();
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      for (String name : names) {
        if (arg.startsWith("-XX:" + name + "=")) {
          paths.add(Path.of(arg.substring(name.length() + 5)));
        }
      }
    }
    return paths;
  }

  /**
   * The hostile first container of a classpath: replaces every file the JVM flags say it writes for
   * the class-data archive (the archive itself, a class list), and every file beside them, with a
   * symbolic link to {@code TEST_TARGET}, then kills its own JVM with SIGKILL.
   */
  private static void plantLinks() {
    Path target = Path.of(System.getenv("TEST_TARGET"));
    for (Path p : flagPaths("SharedArchiveFile", "DumpLoadedClassList")) {
      try {
        Files.deleteIfExists(p);
        Files.createSymbolicLink(p, target);
        System.out.println("planted " + p);
      } catch (IOException | RuntimeException e) {
        System.out.println("could not plant " + p + ": " + e);
      }
    }
    System.out.flush();
    // SIGKILL, so that the JVM writes nothing at exit (Runtime.halt still dumps an archive).
    try {
      new ProcessBuilder("kill", "-9", Long.toString(ProcessHandle.current().pid()))
          .start()
          .waitFor();
    } catch (IOException | InterruptedException e) {
      System.out.println("could not kill myself: " + e);
    }
    Runtime.getRuntime().halt(9);
  }

  /** Prints what the archive file this JVM maps holds, as text. */
  private static void readArchive() {
    for (Path p : flagPaths("SharedArchiveFile")) {
      try {
        byte[] bytes = Files.readAllBytes(p);
        System.out.println(
            "archive "
                + p
                + ": "
                + new String(bytes, 0, Math.min(bytes.length, 4096), StandardCharsets.ISO_8859_1)
                    .replaceAll("[^\\x20-\\x7e]", "."));
      } catch (IOException | RuntimeException e) {
        System.out.println("could not read " + p + ": " + e);
      }
    }
    System.exit(0);
  }

  /** Tries to overwrite, replace and delete the archive this JVM maps; prints what happened. */
  private static void tamperWithArchive() {
    for (Path p : flagPaths("SharedArchiveFile")) {
      System.out.println("archive " + p);
      attempt("write", () -> Files.write(p, new byte[] {1, 2, 3}, StandardOpenOption.WRITE));
      attempt("delete", () -> Files.delete(p));
      attempt(
          "replace",
          () -> {
            Path link = p.resolveSibling("planted.jsa");
            Files.createSymbolicLink(link, Path.of("/etc/passwd"));
            Files.move(
                link, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
          });
    }
    System.exit(0);
  }

  private interface Attempt {
    void run() throws IOException;
  }

  private static void attempt(String what, Attempt attempt) {
    try {
      attempt.run();
      System.out.println(what + " succeeded");
    } catch (IOException | RuntimeException e) {
      System.out.println(what + " failed: " + e.getClass().getSimpleName());
    }
  }
}
