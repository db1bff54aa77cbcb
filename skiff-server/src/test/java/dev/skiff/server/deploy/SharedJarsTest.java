package dev.skiff.server.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.DeployAppRequest;
import dev.skiff.proto.JarChunk;
import dev.skiff.proto.UploadJarResponse;
import dev.skiff.server.store.SharedBytes;
import dev.skiff.server.store.postgres.LocalPostgres;
import dev.skiff.server.store.postgres.PostgresStore;
import dev.skiff.server.testing.RecordingObserver;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jars of control planes that share a PostgreSQL store, each with its own directory: what one
 * replica's jar store accepts, another's has.
 */
@ExtendWith(LocalPostgres.Extension.class)
class SharedJarsTest {
  @TempDir Path one;
  @TempDir Path two;

  private final PostgresStore storeOne;
  private final PostgresStore storeTwo;

  SharedJarsTest(LocalPostgres postgres) {
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
    storeOne.close();
    storeTwo.close();
  }

  private static byte[] jar(int size) {
    byte[] b = new byte[size];
    new Random(size).nextBytes(b);
    return b;
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private static void upload(JarStore jars, byte[] content) throws Exception {
    RecordingObserver<UploadJarResponse> response = new RecordingObserver<>();
    StreamObserver<JarChunk> upload = jars.upload(response);
    upload.onNext(
        JarChunk.newBuilder()
            .setSha256(sha256(content))
            .setData(ByteString.copyFrom(content))
            .build());
    upload.onCompleted();
    assertThat(response.error).isNull();
    assertThat(response.completed).isTrue();
  }

  private static DeployAppRequest deployment(String... shas) {
    return DeployAppRequest.newBuilder()
        .setApp(CreateAppRequest.newBuilder().setAppName("hello"))
        .addAllJars(List.of(shas))
        .build();
  }

  @Test
  void aJarUploadedThroughOneReplicaIsPresentOnAnotherAndCopiedToItsDiskForADeployment()
      throws Exception {
    JarStore first = new JarStore(one, storeOne.sharedBytes());
    JarStore second = new JarStore(two, storeTwo.sharedBytes());
    byte[] content = jar(3 * 1024 * 1024 + 17); // several chunks
    String sha = sha256(content);
    String absent = sha256(new byte[] {1});

    upload(first, content);

    assertThat(second.missing(List.of(sha, absent))).containsExactly(absent);
    assertThat(Files.exists(two.resolve(sha + ".jar"))).isFalse(); // asking copies nothing
    CreateAppRequest app = second.withStoredClasspath(deployment(sha));
    assertThat(app.getClasspathList()).containsExactly(two.resolve(sha + ".jar").toString());
    assertThat(Files.readAllBytes(two.resolve(sha + ".jar"))).isEqualTo(content);

    assertThatThrownBy(() -> second.withStoredClasspath(deployment(absent)))
        .satisfies(
            e ->
                assertThat(((StatusRuntimeException) e).getStatus().getCode())
                    .isEqualTo(Status.Code.FAILED_PRECONDITION))
        .hasMessageContaining("neither on this server's disk nor in the store's shared bytes");
  }

  @Test
  void aJarHeldOnlyOnOneReplicasDiskIsSharedWhenItIsAskedFor() throws Exception {
    byte[] content = jar(1000);
    String sha = sha256(content);
    upload(new JarStore(one, SharedBytes.none()), content); // while it ran alone on its store
    JarStore second = new JarStore(two, storeTwo.sharedBytes());
    assertThat(second.missing(List.of(sha))).containsExactly(sha);

    assertThat(new JarStore(one, storeOne.sharedBytes()).missing(List.of(sha))).isEmpty();

    assertThat(second.missing(List.of(sha))).isEmpty();
    second.withStoredClasspath(deployment(sha));
    assertThat(Files.readAllBytes(two.resolve(sha + ".jar"))).isEqualTo(content);
  }

  @Test
  void aSharedJarWhoseBytesDoNotHaveItsShaIsNotCopied() throws Exception {
    byte[] content = jar(500);
    String sha = sha256(content);
    storeOne.sharedBytes().put(SharedBytes.Kind.JAR, sha, new ByteArrayInputStream(jar(499)));
    JarStore second = new JarStore(two, storeTwo.sharedBytes());

    assertThatThrownBy(() -> second.withStoredClasspath(deployment(sha)))
        .hasMessageContaining("could not copy classpath jar " + sha)
        .hasMessageContaining("its copy in the shared bytes has the sha-256 ");
    try (var files = Files.list(two)) {
      assertThat(files.toList()).isEmpty();
    }
  }
}
