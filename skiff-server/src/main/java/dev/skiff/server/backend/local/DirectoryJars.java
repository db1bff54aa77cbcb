package dev.skiff.server.backend.local;

import dev.skiff.internal.Deployer;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Jars of the directories on a container's classpath, so that the whole classpath can have a
 * class-data archive: the JVM archives classes from jars only, and a program run from an IDE or
 * from {@code mvn} has its own classes in a directory ({@code target/classes}), usually first. A
 * directory is packed into a jar in the cache named by a fingerprint of what it holds (its path and
 * each file's path, size, modification and change times), and packed again when that changes; the
 * container then runs on the jar, as a deployed app does, and sees the directory's content as it
 * was when the container started.
 *
 * <p>A jar is reproducible: entries in path order with one fixed time, and the file's own
 * modification time fixed too, so that a jar packed again from the same content is the same file to
 * the JVM and to the archive's key. A directory stays a directory (and its classpath gets no
 * archive) when packing it could change what the program sees: it holds a symbolic link or a {@code
 * META-INF/MANIFEST.MF} (a jar's manifest means more than a directory's), or more than {@value
 * #MAX_FILES} files or {@value #MAX_BYTES} bytes. Jars unused for a while are removed ({@link
 * #sweep}); a use is marked on a file of its own beside the jar. Thread-safe.
 */
final class DirectoryJars {
  private static final System.Logger LOG = System.getLogger(DirectoryJars.class.getName());

  /** The most files a packed directory may hold. */
  static final int MAX_FILES = 20_000;

  /** The most bytes a packed directory may hold. */
  static final long MAX_BYTES = 128L << 20;

  /** The most bytes of jars kept; older unused ones are removed past it. */
  static final long CACHE_BYTES = 512L << 20;

  /** A jar used this recently is never removed. */
  static final Duration IN_USE = Duration.ofHours(1);

  /** A jar unused this long is removed whatever the cache holds. */
  static final Duration UNUSED = Duration.ofDays(7);

  private static final FileTime FIXED_TIME = FileTime.from(Instant.parse("2000-01-01T00:00:00Z"));
  private static final String USED = ".used";

  private final Path cache;

  /** Jars kept in {@code cache}, a directory of this user's (created when missing). */
  DirectoryJars(Path cache) {
    this.cache = cache;
  }

  /**
   * {@code classpath} with each directory replaced by its jar; the classpath as given when a
   * directory cannot be packed, so that it runs as before (without an archive).
   */
  List<String> jarred(List<String> classpath) {
    List<String> jarred = new ArrayList<>(classpath.size());
    for (String entry : classpath) {
      Path path = Path.of(entry);
      if (!Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
        jarred.add(entry);
        continue;
      }
      Optional<Path> jar = jarOf(path);
      if (jar.isEmpty()) {
        return classpath;
      }
      jarred.add(jar.get().toString());
    }
    return jarred;
  }

  /** The jar of {@code directory}, packed now if its content changed; empty if it cannot be. */
  private Optional<Path> jarOf(Path directory) {
    try {
      Optional<String> fingerprint = fingerprint(directory);
      if (fingerprint.isEmpty()) {
        return Optional.empty();
      }
      Files.createDirectories(cache);
      Path jar = cache.resolve("dir-" + fingerprint.get() + ".jar");
      if (!Files.isRegularFile(jar, LinkOption.NOFOLLOW_LINKS)) {
        pack(directory, jar);
      }
      markUsed(jar);
      return Optional.of(jar);
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "directory {0} not packed into a jar: {1}", directory, e.toString());
      return Optional.empty();
    }
  }

  /**
   * A fingerprint of what a directory holds: its path, and each regular file's and directory's
   * path, size, modification and change times, in path order. Empty when the directory must stay
   * one (see the class comment).
   */
  private static Optional<String> fingerprint(Path root) throws IOException {
    TreeMap<String, BasicFileAttributes> entries = new TreeMap<>();
    boolean[] refused = {false};
    long[] bytes = {0};
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
            if (!dir.equals(root)) {
              entries.put(name(root, dir) + "/", attributes);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
            String name = name(root, file);
            bytes[0] += attributes.size();
            if (!attributes.isRegularFile()
                || name.equalsIgnoreCase("META-INF/MANIFEST.MF")
                || entries.size() >= MAX_FILES
                || bytes[0] > MAX_BYTES) {
              refused[0] = true;
              return FileVisitResult.TERMINATE;
            }
            entries.put(name, attributes);
            return FileVisitResult.CONTINUE;
          }
        });
    if (refused[0]) {
      return Optional.empty();
    }
    MessageDigest sha = sha256();
    sha.update(root.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
    for (var e : entries.entrySet()) {
      BasicFileAttributes a = e.getValue();
      Object ctime =
          Files.getAttribute(root.resolve(e.getKey()), "unix:ctime", LinkOption.NOFOLLOW_LINKS);
      sha.update(
          ("\n" + e.getKey() + "|" + a.size() + "|" + a.lastModifiedTime().toMillis() + "|" + ctime)
              .getBytes(StandardCharsets.UTF_8));
    }
    return Optional.of(HexFormat.of().formatHex(sha.digest(), 0, 12));
  }

  private static String name(Path root, Path p) {
    return root.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
  }

  /** Packs the directory's content into {@code jar}, atomically, as a deploy packs it. */
  private static void pack(Path directory, Path jar) throws IOException {
    Path partial = Files.createTempFile(jar.getParent(), "packing-", ".tmp");
    try {
      Deployer.pack(directory, partial);
      Files.setLastModifiedTime(partial, FIXED_TIME);
      Files.move(partial, jar, StandardCopyOption.ATOMIC_MOVE);
      LOG.log(Level.DEBUG, "packed {0} into {1}", directory, jar);
    } finally {
      Files.deleteIfExists(partial);
    }
  }

  private void markUsed(Path jar) throws IOException {
    Path marker = jar.resolveSibling(jar.getFileName() + USED);
    if (!Files.exists(marker, LinkOption.NOFOLLOW_LINKS)) {
      Files.createFile(marker);
    } else {
      Files.setLastModifiedTime(marker, FileTime.from(Instant.now()));
    }
  }

  /**
   * Removes jars (and their marks) unused for {@link #UNUSED}, then the least recently used beyond
   * {@link #CACHE_BYTES}, never one used within {@link #IN_USE}; and packing leftovers of a process
   * that died.
   */
  void sweep() {
    sweep(Instant.now(), CACHE_BYTES);
  }

  /** As {@link #sweep()}, as of {@code now}, keeping at most {@code capBytes}. */
  void sweep(Instant now, long capBytes) {
    if (!Files.isDirectory(cache, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    CacheSweep.evict(
        cache,
        name -> name.startsWith("dir-") && name.endsWith(".jar"),
        jar -> {
          Path marker = jar.resolveSibling(jar.getFileName() + USED);
          return Files.exists(marker, LinkOption.NOFOLLOW_LINKS)
              ? Files.getLastModifiedTime(marker, LinkOption.NOFOLLOW_LINKS).toInstant()
              : Instant.EPOCH;
        },
        jar -> List.of(jar, jar.resolveSibling(jar.getFileName() + USED)),
        capBytes,
        now.minus(IN_USE),
        now.minus(UNUSED));
    CacheSweep.removeOlderThan(
        cache, name -> name.startsWith("packing-"), now.minus(Duration.ofHours(1)));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
