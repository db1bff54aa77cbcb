package dev.skiff.server.files;

import com.google.protobuf.ByteString;
import dev.skiff.internal.DurableFiles;
import dev.skiff.server.common.RandomIds;
import dev.skiff.server.store.SharedBytes;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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
 *
 * <p><b>Replicas.</b> On a store that several control planes share ({@link SharedBytes#shared()}),
 * every blob is also put in the shared bytes before its upload is answered, under its id, behind a
 * one-line header that names its app, whether it is kept and when it was stored. A replica asked
 * for a blob it does not hold ({@link #find}: a container's GetBlob, or {@link #reown} of a call
 * that this replica took over) copies it from there to its own disk, where it counts against the
 * quota like any other, and keeps its app (so reading it is authorised as on the replica that took
 * the upload). Sweeping deletes the shared copy with the local one where the decision holds for
 * every replica: a kept blob past the retention and not pinned (its time and the unfinished calls
 * are the same for all), and a temporary blob by the replica that took its upload, whose app it
 * was.
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

  private static final String HEADER = "skiff-blob 1 ";
  private static final int MAX_HEADER = 256;

  private final Optional<Path> keptDir;
  private final SharedBytes shared;
  private final long maxBlobBytes;
  private final long quotaBytes;
  private final Clock clock;
  // Guards blobs, total and temp. Never held across file writes of an upload.
  private final Object lock = new Object();
  private final Map<String, Blob> blobs = new HashMap<>();
  private long total;
  private Path temp; // created on first use
  private final Set<String> copies = new HashSet<>(); // ids of blobs copied from the shared bytes
  // Copies from the shared bytes under way, by blob id, so that two finds copy a blob once.
  private final ConcurrentHashMap<String, CompletableFuture<Optional<Blob>>> copying =
      new ConcurrentHashMap<>();

  private BlobStore(
      Optional<Path> keptDir, long maxBlobBytes, long quotaBytes, Clock clock, SharedBytes shared) {
    this.keptDir = keptDir;
    this.shared = shared;
    this.maxBlobBytes = maxBlobBytes;
    this.quotaBytes = quotaBytes;
    this.clock = clock;
  }

  /** A store of temporary files only: its blobs go when it closes (an embedded control plane). */
  public static BlobStore temporary(long maxBlobBytes, long quotaBytes, Clock clock) {
    return new BlobStore(Optional.empty(), maxBlobBytes, quotaBytes, clock, SharedBytes.none());
  }

  /** {@link #in(Path, long, long, Clock, SharedBytes)} for a server alone on its store. */
  public static BlobStore in(Path dir, long maxBlobBytes, long quotaBytes, Clock clock) {
    return in(dir, maxBlobBytes, quotaBytes, clock, SharedBytes.none());
  }

  /**
   * A store that keeps the blobs of deployed apps in {@code dir}, finding those kept before (a
   * restart), and that deletes what an earlier run left half-written; its blobs are shared with the
   * other control planes on {@code shared}.
   */
  public static BlobStore in(
      Path dir, long maxBlobBytes, long quotaBytes, Clock clock, SharedBytes shared) {
    BlobStore store = new BlobStore(Optional.of(dir), maxBlobBytes, quotaBytes, clock, shared);
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
   * Makes an uploaded file a blob of {@code appId}; a kept one is made durable first, and on a
   * shared store the blob is put in the shared bytes before this returns. Throws RESOURCE_EXHAUSTED
   * if it does not fit the quota (the file is then deleted).
   *
   * @param keep whether it is kept past its app's stop (a deployed app's blob)
   * @throws UncheckedIOException if it could not be stored or shared (nothing of it is then kept)
   */
  public Blob register(String appId, Path file, long size, boolean keep) {
    Blob b = add(appId, file, size, keep);
    if (shared.shared()) {
      try (InputStream in =
          new SequenceInputStream(
              new ByteArrayInputStream(header(b)), Files.newInputStream(b.file()))) {
        shared.put(SharedBytes.Kind.BLOB, b.id(), in);
      } catch (IOException | RuntimeException e) {
        synchronized (lock) {
          if (blobs.remove(b.id()) != null) {
            total -= b.size();
          }
        }
        delete(b.file());
        throw e instanceof IOException io
            ? new UncheckedIOException("cannot share blob " + b.id(), io)
            : (RuntimeException) e;
      }
    }
    return b;
  }

  /** The line before a blob's bytes in the shared bytes: its app, whether kept, when stored. */
  private static byte[] header(Blob b) {
    return (HEADER
            + b.appId()
            + " "
            + (b.kept() ? "kept" : "temporary")
            + " "
            + b.createdAt().toEpochMilli()
            + "\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  private Blob add(String appId, Path file, long size, boolean keep) {
    return add(newId(), appId, file, size, keep, clock.instant());
  }

  /** Makes {@code file} blob {@code id} of {@code appId}, stored at {@code now}. */
  private Blob add(String id, String appId, Path file, long size, boolean keep, Instant now) {
    checkSize(size);
    Path target = file;
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

  /**
   * The blob {@code id}: one this store holds, or on a shared store one that another control plane
   * took, copied from the shared bytes to this store's disk first.
   *
   * @throws StatusRuntimeException RESOURCE_EXHAUSTED if a shared blob does not fit this store's
   *     quota
   * @throws UncheckedIOException if a shared blob could not be copied
   */
  public Optional<Blob> find(String id) {
    synchronized (lock) {
      Blob b = blobs.get(id);
      if (b != null || !shared.shared() || !ID.matcher(id).matches()) {
        return Optional.ofNullable(b);
      }
    }
    CompletableFuture<Optional<Blob>> mine = new CompletableFuture<>();
    CompletableFuture<Optional<Blob>> running = copying.putIfAbsent(id, mine);
    if (running != null) {
      return running.join();
    }
    try {
      Optional<Blob> copied = copyShared(id);
      mine.complete(copied);
      return copied;
    } catch (RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      copying.remove(id, mine);
    }
  }

  /** Copies blob {@code id} from the shared bytes to this store, if it is there. */
  private Optional<Blob> copyShared(String id) {
    synchronized (lock) {
      if (blobs.containsKey(id)) {
        return Optional.of(blobs.get(id));
      }
    }
    Optional<InputStream> found = shared.open(SharedBytes.Kind.BLOB, id);
    if (found.isEmpty()) {
      return Optional.empty();
    }
    Path file = newFile();
    try (InputStream in = found.get()) {
      String[] header = readHeader(in, id);
      String appId = header[0];
      boolean keep = header[1].equals("kept") && keptDir.isPresent();
      Instant storedAt = Instant.ofEpochMilli(Long.parseLong(header[2]));
      long size;
      try (var out = Files.newOutputStream(file)) {
        size = in.transferTo(out);
      }
      Blob b = add(id, appId, file, size, keep, storedAt);
      synchronized (lock) {
        copies.add(id);
      }
      LOG.log(System.Logger.Level.DEBUG, "blob {0} was copied from the shared bytes", id);
      return Optional.of(b);
    } catch (IOException | NumberFormatException e) {
      delete(file);
      throw new UncheckedIOException(
          "could not copy blob " + id + " from the shared bytes: " + e.getMessage(),
          e instanceof IOException io ? io : new IOException(e));
    } catch (RuntimeException e) {
      delete(file);
      throw e;
    }
  }

  /** Reads a shared blob's header line: its app id, "kept" or "temporary", its time in millis. */
  private static String[] readHeader(InputStream in, String id) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0 || line.length() >= MAX_HEADER) {
        throw new IOException("its header is damaged");
      }
      line.append((char) c);
    }
    String[] parts = line.toString().split(" ", -1);
    if (!line.toString().startsWith(HEADER)
        || parts.length != 5
        || !APP.matcher(parts[2]).matches()) {
      throw new IOException("its header '" + line + "' is not one of blob " + id);
    }
    return new String[] {parts[2], parts[3], parts[4]};
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
   * blobs unfinished calls refer to, asked only when there is something to delete) names. On a
   * shared store, the shared copy goes too: of a kept blob always (the retention and the unfinished
   * calls are the same for every replica), of a temporary blob if it was uploaded here.
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
      boolean copy;
      synchronized (lock) {
        if (blobs.remove(b.id()) == null) {
          continue;
        }
        total -= b.size();
        copy = copies.remove(b.id());
      }
      delete(b.file());
      if (b.kept() || !copy) {
        deleteShared(b.id());
      }
    }
  }

  private void deleteShared(String id) {
    if (!shared.shared()) {
      return;
    }
    try {
      shared.delete(SharedBytes.Kind.BLOB, id);
    } catch (UncheckedIOException e) {
      // A kept blob's shared copy is deleted by whichever replica sweeps it next.
      LOG.log(System.Logger.Level.WARNING, "could not delete the shared copy of blob " + id, e);
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

  /**
   * Deletes the temporary blobs (kept ones stay for the next start), and the shared copies of those
   * uploaded here.
   */
  @Override
  public void close() {
    List<Blob> all;
    Set<String> copied;
    synchronized (lock) {
      all = List.copyOf(blobs.values());
      copied = Set.copyOf(copies);
      blobs.clear();
      copies.clear();
      total = 0;
    }
    for (Blob b : all) {
      if (!b.kept()) {
        delete(b.file());
        if (!copied.contains(b.id())) {
          deleteShared(b.id());
        }
      }
    }
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
