package dev.skiff.server.backend.local;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the local backend keeps what outlives one container: class-data archives, network state.
 */
final class LocalDirectories {
  private static final System.Logger LOG = System.getLogger(LocalProcessBackend.class.getName());

  private LocalDirectories() {}

  /**
   * {@code ~/.cache/skiff/cds} (or under {@code $XDG_CACHE_HOME}), else {@code
   * ${java.io.tmpdir}/skiff-cds-<user>} if this user owns it. A shared, world-writable directory is
   * never used: the JVM trusts the archives it maps.
   */
  static Optional<Path> classDataArchives() {
    Optional<Path> home = usableDirectory(cache().resolve("cds"));
    if (home.isPresent()) {
      return home;
    }
    return usableDirectory(
        Path.of(
            System.getProperty("java.io.tmpdir"), "skiff-cds-" + System.getProperty("user.name")));
  }

  /** {@code ~/.cache/skiff}, or {@code $XDG_CACHE_HOME/skiff}. */
  static Path cache() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path cache =
        xdg != null && !xdg.isBlank()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".cache");
    return cache.resolve("skiff");
  }

  private static Optional<Path> usableDirectory(Path dir) {
    try {
      Files.createDirectories(dir);
      String me = System.getProperty("user.name");
      if (Files.isWritable(dir) && Files.getOwner(dir).getName().equals(me)) {
        return Optional.of(dir);
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "no class-data archive directory at {0}: {1}", dir, e.toString());
    }
    return Optional.empty();
  }
}
