package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function1;
import dev.skiff.Function2;
import dev.skiff.Function4;
import dev.skiff.Volume;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** The apps and functions of {@link VolumeTest} and {@link SandboxTest}. */
final class VolumeFns {
  private VolumeFns() {}

  static final String CACHE = "e2e-cache";

  /** Two functions (so two containers) that mount the same volume at /cache. */
  static final App app = App.named("volumes");

  static final Function2<String, String, String> write =
      app.function(
          VolumeFns::writeCache, f -> f.volume("/cache", Volume.fromName(CACHE).createIfMissing()));

  static final Function1<String, String> read =
      app.function(
          VolumeFns::readCache, f -> f.volume("/cache", Volume.fromName(CACHE).createIfMissing()));

  /** Writes /cache/name, then waits (while its container runs on) until a release file exists. */
  static final Function2<String, String, String> writeAndWait =
      app.function(
          VolumeFns::writeCacheAndWait,
          f -> f.volume("/cache", Volume.fromName(CACHE).createIfMissing()));

  /** Makes a symbolic link in the volume that points out of it. */
  static final Function2<String, String, String> link =
      app.function(
          VolumeFns::linkInCache,
          f -> f.volume("/cache", Volume.fromName(CACHE).createIfMissing()));

  /** Replaces a directory of the volume by a symbolic link, as hostile code could. */
  static final Function2<String, String, String> swapForLink =
      app.function(
          VolumeFns::swapDirectoryForLink,
          f -> f.volume("/cache", Volume.fromName(CACHE).createIfMissing()));

  /**
   * Keeps swapping a symbolic link of the volume between a directory inside it and a host path
   * outside it (each swap one atomic rename), until a release file exists.
   */
  static final Function4<String, String, String, String, Integer> flipLink =
      app.function(
          VolumeFns::flipLinkUntilReleased,
          f -> f.volume("/cache", Volume.fromName(CACHE).createIfMissing()));

  /** A function whose volume must exist already. */
  static final App missingApp = App.named("volumes-missing");

  static final Function1<String, String> needsMissing =
      missingApp.function(
          VolumeFns::readCache, f -> f.volume("/cache", Volume.fromName("never-created")));

  static String writeCache(String name, String content) throws IOException {
    Files.writeString(Path.of("/cache", name), content);
    return "wrote " + name;
  }

  static String readCache(String name) throws IOException {
    Path p = Path.of("/cache", name);
    return Files.exists(p) ? Files.readString(p) : "<absent>";
  }

  static String writeCacheAndWait(String name, String releaseFile)
      throws IOException, InterruptedException {
    Files.writeString(Path.of("/cache", name), "written before release");
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    while (!Files.exists(Path.of(releaseFile)) && Instant.now().isBefore(deadline)) {
      Thread.sleep(20);
    }
    return "released";
  }

  static String linkInCache(String name, String target) throws IOException {
    Files.createSymbolicLink(Path.of("/cache", name), Path.of(target));
    return "linked";
  }

  static String swapDirectoryForLink(String name, String target) throws IOException {
    Path dir = Path.of("/cache", name);
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
    Files.createSymbolicLink(dir, Path.of(target));
    return "swapped";
  }

  static int flipLinkUntilReleased(String name, String inside, String outside, String releaseFile)
      throws IOException {
    Path link = Path.of("/cache", name);
    Path next = Path.of("/cache", name + ".next");
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    int flips = 0;
    while (!Files.exists(Path.of(releaseFile)) && Instant.now().isBefore(deadline)) {
      Files.deleteIfExists(next);
      Files.createSymbolicLink(next, Path.of(flips % 2 == 0 ? outside : inside));
      Files.move(next, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      flips++;
    }
    return flips;
  }

  /** What a sandboxed container sees, as {@link SandboxTest} checks it. */
  record View(
      boolean dataDirVisible,
      boolean otherVolumeVisible,
      List<String> writableOutsideTmpAndVolumes,
      boolean wroteTmp,
      boolean wroteCache,
      List<String> processes,
      String home) {}

  static final App sandboxApp = App.named("sandbox-view");

  static final Function2<String, String, View> inspect =
      sandboxApp.function(
          VolumeFns::inspectSandbox,
          f -> f.volume("/cache", Volume.fromName("sandbox-cache").createIfMissing()));

  static final Function1<String, String> say = sandboxApp.function(VolumeFns::say);

  static String say(String line) {
    System.out.println(line);
    System.err.println(line + " on stderr");
    return line;
  }

  static View inspectSandbox(String dataDir, String otherVolumeDir) {
    List<String> writable = new ArrayList<>();
    String classes =
        Path.of(System.getProperty("java.class.path").split(File.pathSeparator, -1)[0]).toString();
    for (String dir :
        List.of(
            "/",
            "/usr",
            "/etc",
            "/var",
            "/root",
            "/home",
            "/opt",
            System.getProperty("java.home"),
            classes)) {
      if (canWrite(Path.of(dir))) {
        writable.add(dir);
      }
    }
    List<String> processes;
    try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
      processes =
          all.map(
                  p ->
                      p.pid() + " " + p.info().commandLine().orElse(p.info().command().orElse("?")))
              .toList();
    }
    return new View(
        Files.exists(Path.of(dataDir)),
        Files.exists(Path.of(otherVolumeDir)),
        writable,
        canWrite(Path.of("/tmp")),
        canWrite(Path.of("/cache")),
        processes,
        System.getenv("HOME"));
  }

  private static boolean canWrite(Path dir) {
    Path probe = dir.resolve("skiff-write-probe-" + ProcessHandle.current().pid());
    try {
      Files.createDirectories(dir);
      Files.writeString(probe, "x");
      Files.delete(probe);
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
