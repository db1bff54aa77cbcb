package dev.skiff.server.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.skiff.server.store.SharedBytes;
import dev.skiff.server.store.postgres.LocalPostgres;
import dev.skiff.server.store.postgres.PostgresStore;
import dev.skiff.server.testing.FakeClock;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Blobs of control planes that share a PostgreSQL store, each with its own directory: what one
 * replica's blob store takes, another's serves, under the same app and bounds.
 */
@ExtendWith(LocalPostgres.Extension.class)
class SharedBlobsTest {
  private static final long MIB = 1024 * 1024;
  private static final Duration RETENTION = Duration.ofDays(7);

  @TempDir Path dirOne;
  @TempDir Path dirTwo;

  private final FakeClock clock = new FakeClock();
  private final PostgresStore storeOne;
  private final PostgresStore storeTwo;
  private final List<BlobStore> opened = new ArrayList<>();

  SharedBlobsTest(LocalPostgres postgres) {
    String url = postgres.newDatabase();
    storeOne =
        PostgresStore.open(
            url, Optional.of(LocalPostgres.USER), Optional.of(LocalPostgres.PASSWORD));
    storeTwo =
        PostgresStore.open(
            url, Optional.of(LocalPostgres.USER), Optional.of(LocalPostgres.PASSWORD));
  }

  @AfterEach
  void close() {
    opened.forEach(BlobStore::close);
    storeOne.close();
    storeTwo.close();
  }

  private BlobStore blobs(Path dir, PostgresStore store, long quota) {
    BlobStore b = BlobStore.in(dir, 8 * MIB, quota, clock, store.sharedBytes());
    opened.add(b);
    return b;
  }

  private static byte[] content(int size) {
    byte[] b = new byte[size];
    new Random(size).nextBytes(b);
    return b;
  }

  private static Path upload(BlobStore store, byte[] content) throws Exception {
    Path file = store.newFile();
    Files.write(file, content);
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
  void aBlobPutThroughOneReplicaIsReadThroughAnotherUnderItsAppAndTime() throws Exception {
    BlobStore one = blobs(dirOne, storeOne, 64 * MIB);
    BlobStore two = blobs(dirTwo, storeTwo, 64 * MIB);
    byte[] kept = content((int) (2 * MIB + 5));
    byte[] temporary = content(300);
    BlobStore.Blob k = one.register("ap-one", upload(one, kept), kept.length, true);
    BlobStore.Blob t = one.register("ap-one", upload(one, temporary), temporary.length, false);

    BlobStore.Blob copy = two.find(k.id()).orElseThrow();
    assertThat(copy.appId()).isEqualTo("ap-one"); // reading it is authorised as on replica one
    assertThat(copy.kept()).isTrue();
    assertThat(copy.createdAt()).isEqualTo(k.createdAt().truncatedTo(ChronoUnit.MILLIS));
    assertThat(copy.file()).startsWith(dirTwo);
    assertThat(Files.readAllBytes(copy.file())).isEqualTo(kept);
    assertThat(two.totalBytes()).isEqualTo(kept.length); // it counts against two's quota
    assertThat(Files.readAllBytes(two.find(t.id()).orElseThrow().file())).isEqualTo(temporary);
    assertThat(two.find("bl-nosuchblob")).isEmpty();

    // A temporary copy goes when its app is not running on replica two; the shared one stays
    // until replica one, which took the upload, sweeps it.
    two.sweep(app -> false, clock.instant().minus(RETENTION), Set::of);
    assertThat(storeTwo.sharedBytes().existing(SharedBytes.Kind.BLOB, List.of(t.id())))
        .containsExactly(t.id());
    one.sweep(app -> false, clock.instant().minus(RETENTION), Set::of);
    assertThat(storeTwo.sharedBytes().existing(SharedBytes.Kind.BLOB, List.of(t.id()))).isEmpty();

    // A kept blob goes everywhere past the retention, whichever replica sweeps it.
    clock.advance(RETENTION.plusDays(1));
    two.sweep(app -> false, clock.instant().minus(RETENTION), Set::of);
    assertThat(copy.file()).doesNotExist();
    assertThat(storeOne.sharedBytes().existing(SharedBytes.Kind.BLOB, List.of(k.id()))).isEmpty();
  }

  @Test
  void aReplicaThatTakesOverACallHandsItsSharedBlobToTheAppsIdThere() throws Exception {
    BlobStore one = blobs(dirOne, storeOne, 64 * MIB);
    BlobStore two = blobs(dirTwo, storeTwo, 64 * MIB);
    BlobStore.Blob b = one.register("ap-one", upload(one, content(100)), 100, true);

    two.reown(reference(b.id()), "ap-two");

    assertThat(two.find(b.id()).orElseThrow().appId()).isEqualTo("ap-two");
    assertThat(one.find(b.id()).orElseThrow().appId()).isEqualTo("ap-one");
  }

  @Test
  void aSharedBlobPastTheReadingReplicasQuotaIsRefusedNamingIt() throws Exception {
    BlobStore one = blobs(dirOne, storeOne, 64 * MIB);
    BlobStore two = blobs(dirTwo, storeTwo, 1000);
    BlobStore.Blob b = one.register("ap-one", upload(one, content(2000)), 2000, true);

    assertThatThrownBy(() -> two.find(b.id()))
        .satisfies(
            e ->
                assertThat(((StatusRuntimeException) e).getStatus().getCode())
                    .isEqualTo(Status.Code.RESOURCE_EXHAUSTED))
        .hasMessageContaining("--blob-quota-mib");
    assertThat(two.totalBytes()).isZero();
    try (var files = Files.walk(dirTwo)) {
      assertThat(files.filter(Files::isRegularFile).toList()).isEmpty();
    }
  }
}
