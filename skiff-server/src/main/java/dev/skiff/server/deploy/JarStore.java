package dev.skiff.server.deploy;

import com.google.protobuf.ByteString;
import dev.skiff.internal.DurableFiles;
import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.DeployAppRequest;
import dev.skiff.proto.JarChunk;
import dev.skiff.proto.UploadJarResponse;
import dev.skiff.server.common.Statuses;
import dev.skiff.server.files.FileTransfer;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The classpath jars of deployed apps, stored content-addressed as {@code <dir>/<sha-256>.jar}: a
 * client first asks which of its jars are {@link #missing} and {@linkplain #upload uploads} only
 * those, and containers of a deployed app run from the stored jars.
 *
 * <p>Thread-safe: it keeps no state but the files. An upload fills a temporary file in the same
 * directory, checks its digest against the name it declared, forces it to disk and moves it into
 * place atomically (then forces the directory), so a jar's file is either absent or complete, and
 * two uploads of one jar write the same bytes. A file damaged later on disk (truncated by a full
 * disk or a crash of the machine) is found by its hash: {@link #missing} reports it, so deploys
 * upload it again and a restore does not start from it.
 */
public final class JarStore {
  private static final System.Logger LOG = System.getLogger(JarStore.class.getName());
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  private final Path jars;

  /** A jar store in {@code dir} (created with the first upload). */
  JarStore(Path dir) {
    this.jars = dir;
  }

  /** Where the jar store of the control plane with data directory {@code dataDir} keeps them. */
  static Path directory(Path dataDir) {
    return dataDir.resolve("classpath");
  }

  /**
   * The file of the stored jar {@code sha256} under {@code dataDir} (which may not exist): where a
   * container backend on this machine finds a jar that a classpath names by content hash.
   */
  public static Path file(Path dataDir, String sha256) {
    return directory(dataDir).resolve(sha256 + ".jar");
  }

  /**
   * The jars of {@code sha256s} that the server does not hold intact: absent, or a file whose
   * content no longer has its sha-256 (truncated or damaged on disk). A damaged file is deleted, so
   * that the next upload puts the jar back.
   *
   * @throws io.grpc.StatusRuntimeException INVALID_ARGUMENT if one is not a sha-256
   */
  public List<String> missing(List<String> sha256s) {
    List<String> out = new ArrayList<>();
    for (String sha : sha256s) {
      checkSha(sha);
      if (!intact(sha)) {
        out.add(sha);
      }
    }
    return out;
  }

  /** Whether the stored file of jar {@code sha} exists and its content has that sha-256. */
  private boolean intact(String sha) {
    Path file = jarPath(sha);
    if (!Files.isRegularFile(file)) {
      return false;
    }
    MessageDigest digest = sha256();
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
      in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      LOG.log(Level.WARNING, "stored jar " + file + " could not be read; it counts as missing", e);
      return false;
    }
    if (HexFormat.of().formatHex(digest.digest()).equals(sha)) {
      return true;
    }
    LOG.log(
        Level.WARNING,
        "stored jar {0} is damaged (its content does not have its sha-256); it counts as missing"
            + " and is deleted, to be uploaded again",
        file);
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.log(Level.WARNING, "damaged jar " + file + " could not be deleted", e);
    }
    return false;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }

  private Path jarPath(String sha) {
    return jars.resolve(sha + ".jar");
  }

  private static void checkSha(String sha) {
    if (!SHA256.matcher(sha).matches()) {
      throw Statuses.invalid(
          "'" + sha + "' is not a sha-256; give 64 lower-case hex digits for each jar");
    }
  }

  /** The app a deployment defines, its classpath the stored files of the jars it names. */
  CreateAppRequest withStoredClasspath(DeployAppRequest request) {
    CreateAppRequest.Builder b = request.getApp().toBuilder().clearClasspath();
    request.getJarsList().forEach(sha -> b.addClasspath(jarPath(sha).toString()));
    return b.build();
  }

  /**
   * Receives one jar upload with the chunked upload the blob and volume services use: the first
   * chunk names the jar's sha-256; the bytes are written to a temporary file, checked against that
   * digest, then moved into place. Answers with the jar's digest and size, or with an error naming
   * what was wrong.
   */
  public StreamObserver<JarChunk> upload(StreamObserver<UploadJarResponse> response) {
    return new FileTransfer.Upload<JarChunk, UploadJarResponse>(response, "jar upload") {
      private String sha;
      private MessageDigest digest;

      @Override
      protected Path begin(JarChunk first) throws IOException {
        sha = first.getSha256();
        checkSha(sha);
        digest = sha256();
        Files.createDirectories(jars);
        return Files.createTempFile(jars, "upload-", ".tmp");
      }

      @Override
      protected OutputStream open(Path file) throws IOException {
        return new DigestOutputStream(Files.newOutputStream(file), digest);
      }

      @Override
      protected String noChunkMessage() {
        return "the upload sent no chunk; the first chunk names the jar's sha-256";
      }

      @Override
      protected StatusRuntimeException failure(Exception e) {
        return Statuses.of(
            e instanceof RuntimeException r
                ? r
                : new UncheckedIOException(
                    new IOException("could not store the jar: " + e.getMessage(), e)));
      }

      @Override
      protected ByteString data(JarChunk chunk) {
        return chunk.getData();
      }

      @Override
      protected UploadJarResponse finish(Path file, long size) throws IOException {
        String actual = HexFormat.of().formatHex(digest.digest());
        if (!actual.equals(sha)) {
          throw Statuses.invalid(
              "the uploaded jar's sha-256 is " + actual + ", not " + sha + " as declared");
        }
        try {
          // Durable before it counts as present: the content, then its name in the directory.
          DurableFiles.moveIntoPlace(file, jarPath(sha));
        } catch (IOException e) {
          throw new UncheckedIOException("could not store jar " + sha, e);
        }
        return UploadJarResponse.newBuilder().setSha256(sha).setSize(size).build();
      }
    };
  }
}
