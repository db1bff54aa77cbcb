package dev.skiff.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The one server of a data directory: an exclusive OS lock on {@code <data-dir>/server.lock}, held
 * for the server's life, so that a second server on the same directory refuses to start instead of
 * rewriting the client config and firing every schedule a second time.
 *
 * <p>The lock file's content says who holds it ({@code pid 1234, listening on 127.0.0.1:7733}), for
 * the second server's message; it is written by the holder after it locks the file and means
 * nothing without the lock. The OS drops the lock when the process ends, also on {@code kill -9},
 * so a crash leaves at most stale content, which the next server overwrites.
 *
 * <p>Not thread-safe: the server takes it once at start and releases it once at close.
 */
final class DataDirectoryLock implements AutoCloseable {
  /** The lock file's name in the data directory. */
  static final String FILE = "server.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirectoryLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Locks {@code dataDir} for this process and records its pid in the lock file.
   *
   * @throws IllegalStateException if another server holds it, naming that server's pid and address
   * @throws UncheckedIOException if the lock file cannot be opened
   */
  static DataDirectoryLock acquire(Path dataDir) {
    Path file = dataDir.resolve(FILE);
    FileChannel channel;
    try {
      channel =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("could not open the lock file " + file, e);
    }
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null; // a server in this JVM holds it
    } catch (IOException e) {
      close(channel);
      throw new UncheckedIOException("could not lock " + file, e);
    }
    if (lock == null) {
      close(channel);
      throw new IllegalStateException(
          "the data directory "
              + dataDir
              + " is in use by another Skiff server ("
              + holder(file)
              + "); stop that server first, or give this one another --data-dir");
    }
    DataDirectoryLock held = new DataDirectoryLock(channel, lock);
    try {
      held.record("pid " + ProcessHandle.current().pid() + ", starting");
    } catch (RuntimeException e) {
      held.close(); // e.g. a full disk: the lock must not outlive this failed start
      throw e;
    }
    return held;
  }

  /**
   * Records who holds the lock, replacing what a server before this one (even a killed one) left.
   */
  void record(String holder) {
    try {
      channel.truncate(0);
      channel.write(ByteBuffer.wrap((holder + "\n").getBytes(StandardCharsets.UTF_8)), 0);
      channel.force(false);
    } catch (IOException e) {
      throw new UncheckedIOException("could not write the lock file", e);
    }
  }

  /** What the holder recorded, or a note that it recorded nothing readable yet. */
  private static String holder(Path file) {
    try {
      String s = Files.readString(file, StandardCharsets.UTF_8).strip();
      return s.isEmpty() ? "it has not recorded its pid yet" : s;
    } catch (IOException e) {
      return "its lock file " + file + " could not be read: " + e.getMessage();
    }
  }

  /** Releases the lock. The content stays; it means nothing without the lock. */
  @Override
  public void close() {
    try {
      lock.release();
    } catch (IOException e) {
      // The channel's close below releases it too.
    }
    close(channel);
  }

  private static void close(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // Closing releases the lock; nothing else to do.
    }
  }
}
