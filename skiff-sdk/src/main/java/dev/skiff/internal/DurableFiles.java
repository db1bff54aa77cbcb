package dev.skiff.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Writing files so that they are on disk before they count as present: the content is forced to the
 * device, the file takes its final name with an atomic rename, and the directory that holds the
 * name is forced too. After a crash of the machine such a file is either absent (or its previous
 * version) or complete, never half-written.
 *
 * <p>Whether a force really reached the disk cannot be observed without cutting the power; what
 * callers can check (and test) is the atomicity of the rename and the content on reading. Stateless
 * and thread-safe.
 */
public final class DurableFiles {
  private DurableFiles() {}

  /** Forces the content and metadata of the regular file {@code file} to its device. */
  public static void force(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /**
   * Forces the directory {@code dir} (the names in it) to its device. A file system that cannot
   * open directories (not a POSIX one) is left as it is.
   */
  public static void forceDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (UnsupportedOperationException e) {
      // Not a file system whose directories can be opened: nothing more can be done.
    }
  }

  /**
   * Moves the complete file {@code written} to {@code target} durably: forces {@code written},
   * renames it atomically over {@code target} (replacing what was there), and forces {@code
   * target}'s directory. Both must be in one directory or at least one file system.
   */
  public static void moveIntoPlace(Path written, Path target) throws IOException {
    force(written);
    try {
      Files.move(
          written, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(written, target, StandardCopyOption.REPLACE_EXISTING);
    }
    forceDirectory(target.toAbsolutePath().getParent());
  }

  /**
   * Writes {@code content} to {@code temp} (an empty file the caller created beside {@code target},
   * with the permissions it wants) and moves it into place with {@link #moveIntoPlace}. {@code
   * temp} is deleted if that fails.
   */
  public static void write(Path temp, Path target, byte[] content) throws IOException {
    try {
      Files.write(temp, content, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
      moveIntoPlace(temp, target);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Forces every regular file and directory under {@code root} (itself included), directories after
   * what they hold. Entries that this process may not open (files of another user in a root file
   * system) are skipped and counted: {@link #forceFileSystem} forces those too.
   *
   * @return how many entries could not be opened
   */
  public static int forceTree(Path root) throws IOException {
    int[] skipped = {0};
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            if (attrs.isRegularFile()) {
              try {
                force(file);
              } catch (IOException e) {
                skipped[0]++;
              }
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) {
            skipped[0]++;
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) {
            try {
              forceDirectory(dir);
            } catch (IOException ex) {
              skipped[0]++;
            }
            return FileVisitResult.CONTINUE;
          }
        });
    return skipped[0];
  }

  /**
   * Forces the whole file system that holds {@code path} ({@code sync --file-system}, syncfs(2)):
   * for trees with entries this process may not open itself.
   *
   * @throws IOException if the command is missing or fails
   */
  public static void forceFileSystem(Path path) throws IOException {
    Process p =
        new ProcessBuilder("sync", "--file-system", path.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      int status = p.waitFor();
      if (status != 0) {
        throw new IOException("sync --file-system " + path + " exited with status " + status);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while forcing the file system of " + path, e);
    }
  }
}
