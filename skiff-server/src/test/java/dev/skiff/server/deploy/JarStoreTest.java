package dev.skiff.server.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.DeployAppRequest;
import dev.skiff.proto.JarChunk;
import dev.skiff.proto.UploadJarResponse;
import dev.skiff.server.store.SharedBytes;
import dev.skiff.server.testing.RecordingObserver;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Content-addressed jars: uploaded in chunks, checked against their declared sha-256. */
class JarStoreTest {
  @TempDir Path dir;

  private static final byte[] JAR = "not really a jar, but bytes".getBytes(StandardCharsets.UTF_8);

  private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private static JarChunk chunk(String sha, byte[] bytes, int from, int to) {
    return JarChunk.newBuilder()
        .setSha256(sha)
        .setData(ByteString.copyFrom(bytes, from, to - from))
        .build();
  }

  private static Status.Code code(Throwable t) {
    return ((StatusRuntimeException) t).getStatus().getCode();
  }

  /** The files in the store's directory (none if it was never created). */
  private List<Path> files() throws Exception {
    if (!Files.isDirectory(dir.resolve("classpath"))) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir.resolve("classpath"))) {
      return s.toList();
    }
  }

  @Test
  void aStoredJarTruncatedOnDiskCountsAsMissingAndIsStoredAgainByTheNextUpload() throws Exception {
    JarStore jars = new JarStore(dir.resolve("classpath"), SharedBytes.none());
    String sha = sha256(JAR);
    RecordingObserver<UploadJarResponse> first = new RecordingObserver<>();
    StreamObserver<JarChunk> upload = jars.upload(first);
    upload.onNext(chunk(sha, JAR, 0, JAR.length));
    upload.onCompleted();
    assertThat(jars.missing(List.of(sha))).isEmpty();

    Path stored = dir.resolve("classpath").resolve(sha + ".jar");
    Files.write(stored, Arrays.copyOf(JAR, JAR.length / 2));
    assertThat(jars.missing(List.of(sha))).containsExactly(sha);

    RecordingObserver<UploadJarResponse> again = new RecordingObserver<>();
    upload = jars.upload(again);
    upload.onNext(chunk(sha, JAR, 0, JAR.length));
    upload.onCompleted();
    assertThat(again.error).isNull();
    assertThat(jars.missing(List.of(sha))).isEmpty();
    assertThat(Files.readAllBytes(stored)).isEqualTo(JAR);
  }

  @Test
  void jarUploadedInChunksIsStoredUnderItsDigestAndNoLongerMissing() throws Exception {
    JarStore jars = new JarStore(dir.resolve("classpath"), SharedBytes.none());
    String sha = sha256(JAR);
    assertThat(jars.missing(List.of(sha))).containsExactly(sha);

    RecordingObserver<UploadJarResponse> response = new RecordingObserver<>();
    StreamObserver<JarChunk> upload = jars.upload(response);
    upload.onNext(chunk(sha, JAR, 0, 10));
    upload.onNext(chunk("", JAR, 10, JAR.length));
    upload.onCompleted();

    assertThat(response.error).isNull();
    assertThat(response.completed).isTrue();
    assertThat(response.values)
        .containsExactly(UploadJarResponse.newBuilder().setSha256(sha).setSize(JAR.length).build());
    assertThat(jars.missing(List.of(sha))).isEmpty();
    assertThat(files()).containsExactly(dir.resolve("classpath").resolve(sha + ".jar"));
    assertThat(Files.readAllBytes(files().get(0))).isEqualTo(JAR);

    CreateAppRequest app =
        jars.withStoredClasspath(
            DeployAppRequest.newBuilder()
                .setApp(CreateAppRequest.newBuilder().setAppName("a").addClasspath("/client/a.jar"))
                .addJars(sha)
                .build());
    assertThat(app.getClasspathList()).containsExactly(files().get(0).toString());
  }

  @Test
  void jarWhoseBytesDoNotMatchItsDeclaredDigestIsRefusedAndNotKept() throws Exception {
    JarStore jars = new JarStore(dir.resolve("classpath"), SharedBytes.none());
    String declared = sha256("other bytes".getBytes(StandardCharsets.UTF_8));

    RecordingObserver<UploadJarResponse> response = new RecordingObserver<>();
    StreamObserver<JarChunk> upload = jars.upload(response);
    upload.onNext(chunk(declared, JAR, 0, JAR.length));
    upload.onCompleted();

    assertThat(response.values).isEmpty();
    assertThat(code(response.error)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(response.error)
        .hasMessageContaining(
            "the uploaded jar's sha-256 is " + sha256(JAR) + ", not " + declared + " as declared");
    assertThat(jars.missing(List.of(declared))).containsExactly(declared);
    assertThat(files()).isEmpty();
  }

  @Test
  void uploadWhoseFirstChunkNamesNoDigestIsRefusedBeforeAnyFile() throws Exception {
    JarStore jars = new JarStore(dir.resolve("classpath"), SharedBytes.none());

    RecordingObserver<UploadJarResponse> response = new RecordingObserver<>();
    StreamObserver<JarChunk> upload = jars.upload(response);
    upload.onNext(chunk("ABC", JAR, 0, JAR.length));
    upload.onNext(chunk("", JAR, 0, JAR.length));
    upload.onCompleted();

    assertThat(code(response.error)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(response.error)
        .hasMessageContaining("'ABC' is not a sha-256; give 64 lower-case hex digits for each jar");
    assertThat(response.values).isEmpty();
    assertThat(response.completed).isFalse();
    assertThat(files()).isEmpty();
  }

  @Test
  void uploadWithoutChunksIsRefused() {
    RecordingObserver<UploadJarResponse> response = new RecordingObserver<>();
    new JarStore(dir.resolve("classpath"), SharedBytes.none()).upload(response).onCompleted();

    assertThat(code(response.error)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(response.error)
        .hasMessageContaining("the upload sent no chunk; the first chunk names the jar's sha-256");
  }

  @Test
  void uploadTheCallerCancelsLeavesNoFile() throws Exception {
    JarStore jars = new JarStore(dir.resolve("classpath"), SharedBytes.none());
    String sha = sha256(JAR);

    RecordingObserver<UploadJarResponse> response = new RecordingObserver<>();
    StreamObserver<JarChunk> upload = jars.upload(response);
    upload.onNext(chunk(sha, JAR, 0, 10));
    upload.onError(Status.CANCELLED.asRuntimeException());

    assertThat(files()).isEmpty();
    assertThat(jars.missing(List.of(sha))).containsExactly(sha);
  }

  @Test
  void missingRefusesWhatIsNotADigest() {
    JarStore jars = new JarStore(dir.resolve("classpath"), SharedBytes.none());

    assertThatThrownBy(() -> jars.missing(List.of("x".repeat(64))))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .hasMessageContaining("is not a sha-256");
  }
}
