package dev.skiff.testing;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * A JDK AOT cache ({@code -XX:AOTCache}, JDK 25 and newer) for the test servers' JVMs: their
 * classes loaded and linked ahead of time, which brings the time from launching a server to its
 * listening line from about 2.1 s to 1.1-1.5 s (medians on 2 loaded cores), and tests start servers
 * dozens of times. It is made once, by a training server that starts, listens and stops: about 7 s,
 * paid back after a dozen starts.
 *
 * <p>The cache needs a classpath of jars only (the JDK refuses to archive classes next to non-empty
 * directories): servers get the jar entries of this JVM's classpath, which hold the server and its
 * dependencies whenever tests run from a Maven build after {@code package}. With a JDK older than
 * 25, or when no jar holds the server (e.g. classes straight from an IDE), there is no cache and
 * servers start as before.
 *
 * <p>Where: in the directory named by the system property {@value #DIR_PROPERTY} when set (the
 * build sets it to one under {@code target}, shared by its test JVMs, which take turns making it
 * through a file lock), under a name that changes with the JDK and every jar's size and time;
 * otherwise in a temporary directory this JVM deletes when it exits.
 */
final class ServerAotCache {
  static final String DIR_PROPERTY = "skiff.test.serverAotDir";
  private static final String SERVER_CLASS = "dev/skiff/server/SkiffServer.class";

  // Guarded by the class: made by the first server start that asks.
  private static Optional<ServerAotCache> cache;

  /** The jar-only classpath servers run with when the cache is used. */
  final String classpath;

  /** The cache file. */
  final Path file;

  private ServerAotCache(String classpath, Path file) {
    this.classpath = classpath;
    this.file = file;
  }

  /**
   * The cache, made on first use; empty if this JDK or classpath cannot have one or making it
   * failed (servers then start without it).
   *
   * @param baseCommand the server JVM's command up to its options, without classpath
   */
  static synchronized Optional<ServerAotCache> get(List<String> baseCommand) {
    if (cache == null) {
      cache = make(baseCommand);
    }
    return cache;
  }

  private static Optional<ServerAotCache> make(List<String> baseCommand) {
    if (Runtime.version().feature() < 25) {
      return Optional.empty();
    }
    List<String> jars = new ArrayList<>();
    boolean hasServer = false;
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (entry.endsWith(".jar") && Files.isRegularFile(Path.of(entry))) {
        jars.add(entry);
        hasServer = hasServer || holdsServer(entry);
      }
    }
    if (!hasServer) {
      return Optional.empty();
    }
    String classpath = String.join(File.pathSeparator, jars);
    try {
      String dirName = System.getProperty(DIR_PROPERTY);
      Path dir;
      if (dirName == null || dirName.isBlank()) {
        dir = Files.createTempDirectory("skiff-server-aot-");
        Runtime.getRuntime()
            .addShutdownHook(new Thread(() -> deleteTree(dir), "skiff-server-aot-cleanup"));
      } else {
        dir = Files.createDirectories(Path.of(dirName));
      }
      Path file = dir.resolve("server-" + key(jars) + ".aot");
      try (FileChannel lockFile =
              FileChannel.open(
                  dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock lock = lockFile.lock()) {
        if (!Files.isRegularFile(file) || Files.size(file) == 0) {
          // Caches of earlier jars (50 MB each) go: the JVM would not use them anyway.
          try (Stream<Path> old = Files.list(dir)) {
            for (Path f :
                old.filter(f -> f.getFileName().toString().startsWith("server-")).toList()) {
              Files.deleteIfExists(f);
            }
          }
          train(baseCommand, classpath, file);
        }
      }
      return Files.isRegularFile(file) && Files.size(file) > 0
          ? Optional.of(new ServerAotCache(classpath, file))
          : Optional.empty();
    } catch (IOException | RuntimeException e) {
      System.err.println("ServerAotCache: servers start without an AOT cache: " + e);
      return Optional.empty();
    }
  }

  private static boolean holdsServer(String jar) {
    try (JarFile j = new JarFile(jar)) {
      return j.getEntry(SERVER_CLASS) != null;
    } catch (IOException e) {
      return false;
    }
  }

  /** Changes with the JDK and with any jar's path, size or time. */
  private static String key(List<String> jars) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    StringBuilder s = new StringBuilder(System.getProperty("java.home")).append('\n');
    s.append(Runtime.version()).append('\n');
    for (String jar : jars) {
      Path p = Path.of(jar);
      s.append(jar)
          .append(' ')
          .append(Files.size(p))
          .append(' ')
          .append(Files.getLastModifiedTime(p).toMillis())
          .append('\n');
    }
    return HexFormat.of()
        .formatHex(digest.digest(s.toString().getBytes(StandardCharsets.UTF_8)))
        .substring(0, 16);
  }

  /**
   * Starts a server that records its classes into a new cache, waits for its listening line, and
   * stops it (SIGTERM), upon which its JVM writes the cache; the cache appears under its name only
   * once complete.
   */
  private static void train(List<String> baseCommand, String classpath, Path file)
      throws IOException {
    Path home = Files.createTempDirectory("skiff-server-aot-training-");
    Path partial = file.resolveSibling(file.getFileName() + ".partial");
    List<String> command = new ArrayList<>(baseCommand);
    command.addAll(
        List.of(
            "-XX:AOTCacheOutput=" + partial,
            "-Xlog:aot=off,cds=off",
            "-cp",
            classpath,
            "dev.skiff.server.SkiffServer",
            "--data-dir",
            home.resolve("data").toString(),
            "--port",
            "0",
            "--web-port",
            "0"));
    ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
    b.environment().keySet().removeIf(k -> k.startsWith("SKIFF_"));
    b.environment().put("SKIFF_HOME", home.toString());
    Process p = b.start();
    Thread.ofVirtual()
        .start(
            () -> {
              try {
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                  p.destroyForcibly(); // never listened: ends the read below
                }
              } catch (InterruptedException e) {
                p.destroyForcibly();
              }
            });
    try {
      StringBuilder output = new StringBuilder();
      boolean listened = false;
      try (BufferedReader r =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          output.append(line).append('\n');
          if (line.startsWith("Skiff server listening on ")) {
            listened = true;
            // SIGTERM: the JVM exits normally and writes the cache (Process.destroy would also
            // close the stream read here).
            p.toHandle().destroy();
          }
        }
      }
      // Stopped by SIGTERM, it exits with 143, not 0.
      if (!p.waitFor(120, TimeUnit.SECONDS) || !listened) {
        throw new IllegalStateException("the training server did not listen:\n" + output);
      }
      if (Files.isRegularFile(partial) && Files.size(partial) > 0) {
        Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      p.destroyForcibly();
      Files.deleteIfExists(partial);
      Files.deleteIfExists(partial.resolveSibling(partial.getFileName() + ".config"));
      deleteTree(home);
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // Gone already, or left for the OS's temporary directory cleaning.
    }
  }
}
