package dev.skiff.server.files;

import com.google.protobuf.ByteString;
import dev.skiff.internal.DurableFiles;
import dev.skiff.server.common.RandomIds;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Large payloads (arguments, results and generator items past the SDK's inline limit), kept as
 * files. The control plane never reads them; it only stores and serves their bytes. Thread-safe.
 *
 * <p><b>Two kinds of blob.</b> A blob of an app that lives only while its program runs (an
 * ephemeral app) is a temporary file, deleted when its app stops. A blob of a deployed app is
 * <em>kept</em>: in a store with a directory ({@link #in}) it is written to {@code
 * DIR/APP_ID/BLOB_ID} and fsynced (file and directory) before its upload is answered, so that a
 * durable spawn whose argument it is survives a crash of the server; it is deleted once it is older
 * than the result retention and no unfinished call refers to it. After a restart, the kept blobs
 * are found again in the directory; a re-queued call's blob is handed to its app's new id ({@link
 * #reown}), as is that of a call adopted by the deploy of an app that could not be restored.
 *
 * <p><b>Bounds.</b> One blob holds at most {@code maxBlobBytes}, all blobs together at most {@code
 * quotaBytes}; past either, the upload is refused with {@code RESOURCE_EXHAUSTED} naming the limit
 * and its {@code skiff server} option.
 */
public final class BlobStore implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(BlobStore.class.getName());
  private static final Pattern ID = Pattern.compile("bl-[A-Za-z0-9_-]{1,64}");
  private static final Pattern APP = Pattern.compile("ap-[A-Za-z0-9_-]{1,64}");
  // The SDK's blob reference: CBOR tag 21323 ("SK"), then a text string of up to 255 bytes.
  private static final byte[] TAG = {(byte) 0xD9, 0x53, 0x4B, 0x78};

  /**
   * A stored blob: its id, the app it belongs to, its file and size, when it was stored, and
   * whether it is kept (a deployed app's) rather than deleted when its app stops.
   */
  public record Blob(
      String id, String appId, Path file, long size, Instant createdAt, boolean kept) {}

  private final Optional<Path> keptDir;
  private final long maxBlobBytes;
  private final long quotaBytes;
  private final Clock clock;
  // Guards blobs, total and temp. Never held across file writes of an upload.
  private final Object lock = new Object();
  private final Map<String, Blob> blobs = new HashMap<>();
  private long total;
  private Path temp; // created on first use

  private BlobStore(Optional<Path> keptDir, long maxBlobBytes, long quotaBytes, Clock clock) {
    this.keptDir = keptDir;
    this.maxBlobBytes = maxBlobBytes;
    this.quotaBytes = quotaBytes;
    this.clock = clock;
  }

  /** A store of temporary files only: its blobs go when it closes (an embedded control plane). */
  public static BlobStore temporary(long maxBlobBytes, long quotaBytes, Clock clock) {
    return new BlobStore(Optional.empty(), maxBlobBytes, quotaBytes, clock);
  }

  /**
   * A store that keeps the blobs of deployed apps in {@code dir}, finding those kept before (a
   * restart), and that deletes what an earlier run left half-written.
   */
  public static BlobStore in(Path dir, long maxBlobBytes, long quotaBytes, Clock clock) {
    BlobStore store = new BlobStore(Optional.of(dir), maxBlobBytes, quotaBytes, clock);
    try {
      Files.createDirectories(dir);
      try (Stream<Path> apps = Files.list(dir)) {
        for (Path app : apps.toList()) {
          String appId = app.getFileName().toString();
          if (!Files.isDirectory(app) || !APP.matcher(appId).matches()) {
            deleteTree(app); // uploads and temporary blobs of the run before
            continue;
          }
          try (Stream<Path> files = Files.list(app)) {
            for (Path f : files.toList()) {
              String id = f.getFileName().toString();
              if (!ID.matcher(id).matches()) {
                delete(f);
                continue;
              }
              Instant at = Files.getLastModifiedTime(f).toInstant();
              Blob b = new Blob(id, appId, f, Files.size(f), at, true);
              store.blobs.put(id, b);
              store.total += b.size();
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the blob directory " + dir, e);
    }
    return store;
  }

  /** The largest blob, in bytes. */
  public long maxBlobBytes() {
    return maxBlobBytes;
  }

  /** The most bytes all blobs may hold together. */
  public long quotaBytes() {
    return quotaBytes;
  }

  /** The bytes all blobs hold now. */
  public long totalBytes() {
    synchronized (lock) {
      return total;
    }
  }

  /**
   * Checks that a blob of {@code size} bytes (so far) may be stored: RESOURCE_EXHAUSTED naming the
   * limit and how to raise it otherwise.
   */
  public void checkSize(long size) {
    if (size > maxBlobBytes) {
      throw exhausted(
          "a blob may hold at most "
              + maxBlobBytes
              + " bytes ("
              + maxBlobBytes / (1024 * 1024)
              + " MiB), and this one has "
              + size
              + " so far; the server's operator can raise the limit with skiff server"
              + " --max-blob-mib");
    }
    long now;
    synchronized (lock) {
      now = total;
    }
    if (now + size > quotaBytes) {
      throw quotaExhausted(size, now);
    }
  }

  private StatusRuntimeException quotaExhausted(long size, long now) {
    return exhausted(
        "the server's blobs hold "
            + now
            + " bytes of their quota of "
            + quotaBytes
            + " bytes ("
            + quotaBytes / (1024 * 1024)
            + " MiB), so a blob of "
            + size
            + " bytes does not fit; blobs are freed when their app stops or, for deployed apps,"
            + " after the result retention; the server's operator can raise the quota with skiff"
            + " server --blob-quota-mib");
  }

  private static StatusRuntimeException exhausted(String message) {
    return Status.RESOURCE_EXHAUSTED.withDescription(message).asRuntimeException();
  }

  /** A new, empty file for an upload; it becomes a blob with {@link #register}. */
  public Path newFile() {
    try {
      return Files.createTempFile(directory(), "upload-", ".part");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a blob file", e);
    }
  }

  /**
   * Makes an uploaded file a blob of {@code appId}; a kept one is made durable first. Throws
   * RESOURCE_EXHAUSTED if it does not fit the quota (the file is then deleted).
   *
   * @param keep whether it is kept past its app's stop (a deployed app's blob)
   */
  public Blob register(String appId, Path file, long size, boolean keep) {
    checkSize(size);
    String id = newId();
    Path target = file;
    Instant now = clock.instant();
    boolean kept = keep && keptDir.isPresent();
    if (kept) {
      if (!APP.matcher(appId).matches()) {
        throw new IllegalArgumentException("not an app id: " + appId);
      }
      try {
        Path dir = Files.createDirectories(keptDir.get().resolve(appId));
        target = dir.resolve(id);
        Files.setLastModifiedTime(file, FileTime.from(now)); // when it was stored, after a restart
        DurableFiles.force(file);
        Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
        DurableFiles.forceDirectory(dir);
        DurableFiles.forceDirectory(keptDir.get());
      } catch (IOException e) {
        delete(file);
        delete(target);
        throw new UncheckedIOException("cannot store blob " + id, e);
      }
    }
    Blob b = new Blob(id, appId, target, size, now, kept);
    synchronized (lock) {
      if (total + size > quotaBytes) {
        long held = total;
        delete(target);
        throw quotaExhausted(size, held);
      }
      blobs.put(id, b);
      total += size;
    }
    return b;
  }

  private String newId() {
    while (true) {
      String id = "bl-" + RandomIds.token();
      synchronized (lock) {
        if (!blobs.containsKey(id)) {
          return id;
        }
      }
    }
  }

  public Optional<Blob> find(String id) {
    synchronized (lock) {
      return Optional.ofNullable(blobs.get(id));
    }
  }

  /**
   * Hands the blob that {@code payload} refers to, if it is a blob reference of a kept blob, to the
   * app {@code appId} (a deployed app's new id after a restart), so that its containers may read
   * it.
   */
  public void reown(ByteString payload, String appId) {
    Optional<Blob> found = referencedId(payload).flatMap(this::find);
    if (found.isEmpty() || found.get().appId().equals(appId) || !found.get().kept()) {
      return;
    }
    Blob b = found.get();
    try {
      Path dir = Files.createDirectories(keptDir.orElseThrow().resolve(appId));
      Path target = dir.resolve(b.id());
      Files.move(b.file(), target, StandardCopyOption.ATOMIC_MOVE);
      DurableFiles.forceDirectory(dir);
      synchronized (lock) {
        blobs.put(b.id(), new Blob(b.id(), appId, target, b.size(), b.createdAt(), true));
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "could not hand blob " + b.id() + " to app " + appId, e);
    }
  }

  /**
   * The blob id a payload refers to, if it is a blob reference (the SDK's CBOR tag 21323 around the
   * id; see the SDK's {@code Blobs}).
   */
  public static Optional<String> referencedId(ByteString payload) {
    if (payload.size() < TAG.length + 2) {
      return Optional.empty();
    }
    for (int i = 0; i < TAG.length; i++) {
      if (payload.byteAt(i) != TAG[i]) {
        return Optional.empty();
      }
    }
    int length = payload.byteAt(TAG.length) & 0xFF;
    if (payload.size() != TAG.length + 1 + length) {
      return Optional.empty();
    }
    return Optional.of(payload.substring(TAG.length + 1).toString(StandardCharsets.US_ASCII));
  }

  /**
   * Deletes the blobs that are no longer needed: a temporary blob once its app stops, a kept blob
   * once it was stored before {@code expiredBefore}; but never a blob that {@code pinned} (the
   * blobs unfinished calls refer to, asked only when there is something to delete) names.
   */
  public void sweep(
      Predicate<String> appRunning, Instant expiredBefore, Supplier<Set<String>> pinned) {
    List<Blob> candidates = new ArrayList<>();
    synchronized (lock) {
      for (Blob b : blobs.values()) {
        boolean done =
            b.kept() ? b.createdAt().isBefore(expiredBefore) : !appRunning.test(b.appId());
        if (done) {
          candidates.add(b);
        }
      }
    }
    if (candidates.isEmpty()) {
      return;
    }
    Set<String> keep = pinned.get();
    for (Blob b : candidates) {
      if (keep.contains(b.id())) {
        continue;
      }
      synchronized (lock) {
        if (blobs.remove(b.id()) == null) {
          continue;
        }
        total -= b.size();
      }
      delete(b.file());
    }
  }

  static void delete(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, "could not delete " + file + ": " + e);
    }
  }

  private static void deleteTree(Path path) throws IOException {
    if (Files.isDirectory(path)) {
      try (Stream<Path> files = Files.list(path)) {
        for (Path f : files.toList()) {
          deleteTree(f);
        }
      }
    }
    delete(path);
  }

  /** Where uploads are written, and temporary blobs stay. */
  private Path directory() throws IOException {
    synchronized (lock) {
      if (temp == null) {
        temp =
            keptDir.isPresent()
                ? Files.createTempDirectory(keptDir.get(), "upload-")
                : Files.createTempDirectory("skiff-blobs-");
      }
      return temp;
    }
  }

  /** Deletes the temporary blobs (kept ones stay for the next start). */
  @Override
  public void close() {
    List<Blob> all;
    synchronized (lock) {
      all = List.copyOf(blobs.values());
      blobs.clear();
      total = 0;
    }
    all.stream().filter(b -> !b.kept()).forEach(b -> delete(b.file()));
    synchronized (lock) {
      if (temp != null) {
        try (var files = Files.list(temp)) {
          files.forEach(BlobStore::delete);
        } catch (IOException e) {
          LOG.log(System.Logger.Level.DEBUG, "could not list " + temp + ": " + e);
        }
        delete(temp);
      }
    }
  }
}
