package dev.skiff.server.files;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.skiff.server.testing.FakeClock;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Blobs on disk: kept across a reopen, freed after the retention unless a call refers to them. */
class BlobStoreTest {
  private static final long MIB = 1024 * 1024;
  private final FakeClock clock = new FakeClock();

  private static Path upload(BlobStore store, int bytes) throws Exception {
    Path file = store.newFile();
    Files.write(file, new byte[bytes]);
    return file;
  }

  /** The SDK's reference to a blob (see the SDK's Blobs): CBOR tag 21323 around the id. */
  private static ByteString reference(String id) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0xD9, 0x53, 0x4B, 0x78, (byte) id.length()});
    out.writeBytes(id.getBytes(StandardCharsets.US_ASCII));
    return ByteString.copyFrom(out.toByteArray());
  }

  @Test
  void keptBlobsSurviveAReopenAndAreFreedAfterTheRetentionUnlessPinned(@TempDir Path dir)
      throws Exception {
    BlobStore store = BlobStore.in(dir, 8 * MIB, 64 * MIB, clock);
    BlobStore.Blob pinned = store.register("ap-one", upload(store, 1000), 1000, true);
    BlobStore.Blob free = store.register("ap-one", upload(store, 500), 500, true);
    BlobStore.Blob temporary = store.register("ap-two", upload(store, 200), 200, false);
    store.close();

    // A restart: the kept blobs are found again; the temporary one is gone.
    store = BlobStore.in(dir, 8 * MIB, 64 * MIB, clock);
    assertThat(store.find(pinned.id())).isPresent();
    assertThat(store.find(free.id())).isPresent();
    assertThat(store.find(temporary.id())).isEmpty();
    assertThat(store.totalBytes()).isEqualTo(1500);

    // The call that refers to it runs on the app's new id after the restart.
    store.reown(reference(pinned.id()), "ap-three");
    assertThat(store.find(pinned.id()).orElseThrow().appId()).isEqualTo("ap-three");
    assertThat(Files.readAllBytes(store.find(pinned.id()).orElseThrow().file())).hasSize(1000);

    // A kept blob outlives its app's stop, but not the retention, unless a call refers to it.
    store.sweep(app -> false, clock.instant().minus(Duration.ofDays(7)), Set::of);
    assertThat(store.find(free.id())).isPresent();
    clock.advance(Duration.ofDays(8));
    store.sweep(app -> false, clock.instant().minus(Duration.ofDays(7)), () -> Set.of(pinned.id()));
    assertThat(store.find(free.id())).isEmpty();
    assertThat(free.file()).doesNotExist();
    assertThat(store.find(pinned.id())).isPresent();
    assertThat(store.totalBytes()).isEqualTo(1000);
    store.close();
  }

  @Test
  void aTemporaryBlobGoesWhenItsAppStops() throws Exception {
    BlobStore store = BlobStore.temporary(8 * MIB, 64 * MIB, clock);
    BlobStore.Blob b = store.register("ap-one", upload(store, 100), 100, true);
    store.sweep(app -> true, clock.instant(), Set::of);
    assertThat(store.find(b.id())).isPresent();
    store.sweep(app -> false, clock.instant().minus(Duration.ofDays(7)), Set::of);
    assertThat(store.find(b.id())).isEmpty();
    assertThat(b.file()).doesNotExist();
    store.close();
  }

  @Test
  void onlyAWholeReferenceNamesABlob() {
    assertThat(BlobStore.referencedId(reference("bl-abc"))).hasValue("bl-abc");
    assertThat(BlobStore.referencedId(reference("bl-abc").concat(ByteString.copyFromUtf8("x"))))
        .isEmpty();
    assertThat(BlobStore.referencedId(ByteString.copyFromUtf8("plain"))).isEmpty();
  }
}
