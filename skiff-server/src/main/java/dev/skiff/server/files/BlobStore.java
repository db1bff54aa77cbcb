package dev.skiff.server.files;

import dev.skiff.server.common.RandomIds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Large payloads, kept as files in a private temporary directory until their app stops. The control
 * plane never reads them; it only stores and serves their bytes. Thread-safe.
 */
public final class BlobStore implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(BlobStore.class.getName());

  /** A stored blob: its id, the app it belongs to, its file and size. */
  public record Blob(String id, String appId, Path file, long size) {}

  private final ConcurrentHashMap<String, Blob> blobs = new ConcurrentHashMap<>();
  private final Object dirLock = new Object();
  private Path dir; // created on first use; guarded by dirLock

  /** A new, empty file for an upload; it becomes a blob with {@link #register}. */
  public Path newFile() {
    try {
      return Files.createTempFile(directory(), "upload-", ".blob");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a blob file", e);
    }
  }

  /** Makes an uploaded file a blob of {@code appId}. */
  public Blob register(String appId, Path file, long size) {
    while (true) {
      Blob b = new Blob("bl-" + RandomIds.token(), appId, file, size);
      if (blobs.putIfAbsent(b.id(), b) == null) {
        return b;
      }
    }
  }

  public Optional<Blob> find(String id) {
    return Optional.ofNullable(blobs.get(id));
  }

  /** Deletes the blobs whose app is no longer running. */
  public void sweep(Predicate<String> appRunning) {
    blobs
        .values()
        .removeIf(
            b -> {
              if (appRunning.test(b.appId())) {
                return false;
              }
              delete(b.file());
              return true;
            });
  }

  static void delete(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, "could not delete " + file + ": " + e);
    }
  }

  private Path directory() throws IOException {
    synchronized (dirLock) {
      if (dir == null) {
        dir = Files.createTempDirectory("skiff-blobs-");
      }
      return dir;
    }
  }

  @Override
  public void close() {
    blobs.values().forEach(b -> delete(b.file()));
    blobs.clear();
    synchronized (dirLock) {
      if (dir != null) {
        try (var files = Files.list(dir)) {
          files.forEach(BlobStore::delete);
        } catch (IOException e) {
          LOG.log(System.Logger.Level.DEBUG, "could not list " + dir + ": " + e);
        }
        delete(dir);
      }
    }
  }
}
