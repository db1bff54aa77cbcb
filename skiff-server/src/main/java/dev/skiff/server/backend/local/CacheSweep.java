package dev.skiff.server.backend.local;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Keeps the local backend's caches (class-data archives, directory jars) bounded: what a cache
 * holds is removed once unused for long, then the least recently used beyond a size, never what was
 * used just now (a container may be about to map it); and leftovers of processes that died are
 * removed. Never follows a symbolic link; a failure to remove one item is logged and skipped.
 */
final class CacheSweep {
  private static final System.Logger LOG = System.getLogger(CacheSweep.class.getName());

  private CacheSweep() {}

  /** When an item of a cache was last used. */
  @FunctionalInterface
  interface LastUse {
    Instant of(Path item) throws IOException;
  }

  private record Item(Path path, Instant used, long bytes) {}

  /**
   * Removes the items of {@code dir} (the files whose names {@code isItem} accepts) last used
   * before {@code dropBefore}; then, oldest use first, those last used before {@code keepAfter}
   * while the items take more than {@code capBytes}. An item's files are {@code parts} of it (the
   * item first).
   */
  static void evict(
      Path dir,
      Predicate<String> isItem,
      LastUse lastUse,
      Function<Path, List<Path>> parts,
      long capBytes,
      Instant keepAfter,
      Instant dropBefore) {
    List<Item> items = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        if (!isItem.test(p.getFileName().toString())) {
          continue;
        }
        BasicFileAttributes a =
            Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isRegularFile()) {
          items.add(new Item(p, lastUse.of(p), a.size()));
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "could not list {0}: {1}", dir, e.toString());
      return;
    }
    items.sort(Comparator.comparing(Item::used));
    long total = items.stream().mapToLong(Item::bytes).sum();
    for (Item item : items) {
      boolean stale = item.used().isBefore(dropBefore);
      boolean overCap = total > capBytes && item.used().isBefore(keepAfter);
      if (!stale && !overCap) {
        continue;
      }
      if (remove(parts.apply(item.path()))) {
        total -= item.bytes();
      }
    }
  }

  /**
   * Removes the files and trees in {@code dir} whose names match, modified before {@code before}.
   */
  static void removeOlderThan(Path dir, Predicate<String> names, Instant before) {
    removeIf(
        dir,
        p -> {
          if (!names.test(p.getFileName().toString())) {
            return false;
          }
          try {
            return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS)
                .toInstant()
                .isBefore(before);
          } catch (IOException e) {
            return false;
          }
        });
  }

  /** Removes the files and trees in {@code dir} that {@code remove} accepts. */
  static void removeIf(Path dir, Predicate<Path> remove) {
    List<Path> doomed = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      entries.forEach(
          p -> {
            if (remove.test(p)) {
              doomed.add(p);
            }
          });
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "could not list {0}: {1}", dir, e.toString());
    }
    doomed.forEach(CacheSweep::deleteTree);
  }

  private static boolean remove(List<Path> files) {
    try {
      for (Path f : files) {
        Files.deleteIfExists(f);
      }
      return true;
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "could not remove {0}: {1}", files, e.toString());
      return false;
    }
  }

  /** Deletes a file, or a directory and everything in it, never following a link out of it. */
  static void deleteTree(Path root) {
    try {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
              Files.deleteIfExists(dir);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (NoSuchFileException e) {
      // Already gone.
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "could not remove {0}: {1}", root, e.toString());
    }
  }
}
