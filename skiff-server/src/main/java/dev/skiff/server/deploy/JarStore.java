package dev.skiff.server.deploy;

import com.google.protobuf.ByteString;
import dev.skiff.internal.DurableFiles;
import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.DeployAppRequest;
import dev.skiff.proto.JarChunk;
import dev.skiff.proto.UploadJarResponse;
import dev.skiff.server.common.Statuses;
import dev.skiff.server.files.FileTransfer;
import dev.skiff.server.store.SharedBytes;
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
import java.util.Set;
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
 *
 * <p><b>Replicas.</b> On a store that several control planes share ({@link SharedBytes#shared()}),
 * an upload is also put in the shared bytes before it is answered, so every replica on the store
 * can use it: {@link #missing} counts a jar there as present, and a replica that lacks a jar on its
 * own disk copies it from there into its directory, checking its sha-256, when a deployment of it
 * is started ({@link #withStoredClasspath}). A jar held intact on disk but not shared (uploaded
 * while the server ran alone on its store) is shared when {@link #missing} finds it.
 */
public final class JarStore {
  private static final System.Logger LOG = System.getLogger(JarStore.class.getName());
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  private final Path jars;
  private final SharedBytes shared;

  /**
   * A jar store in {@code dir} (created with the first upload) that shares its jars with the other
   * control planes on {@code shared}.
   */
  JarStore(Path dir, SharedBytes shared) {
    this.jars = dir;
    this.shared = shared;
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
   * that the next upload puts the jar back. A jar in the shared bytes of a store shared with other
   * control planes is present, and one held here but not shared yet is put there.
   *
   * @throws io.grpc.StatusRuntimeException INVALID_ARGUMENT if one is not a sha-256
   * @throws UncheckedIOException if the shared bytes could not be asked
   */
  public List<String> missing(List<String> sha256s) {
    sha256s.forEach(JarStore::checkSha);
    Set<String> inShared = shared.existing(SharedBytes.Kind.JAR, sha256s);
    List<String> out = new ArrayList<>();
    for (String sha : sha256s) {
      boolean here = intact(sha);
      if (here && shared.shared() && !inShared.contains(sha)) {
        shared.put(SharedBytes.Kind.JAR, sha, jarPath(sha));
        LOG.log(Level.INFO, "jar {0}, held here only, was put in the shared bytes", sha);
      } else if (!here && !inShared.contains(sha)) {
        out.add(sha);
      }
    }
    return out;
  }

  /**
   * Makes sure that jar {@code sha} is on this machine's disk: copies it from the shared bytes if
   * it is not, checking its sha-256 before it is moved into place.
   *
   * @throws io.grpc.StatusRuntimeException FAILED_PRECONDITION if it is neither here nor shared
   * @throws UncheckedIOException if it could not be copied, or its copy has another sha-256
   */
  private void fetch(String sha) {
    Path target = jarPath(sha);
    if (Files.isRegularFile(target)) {
      return;
    }
    InputStream source =
        shared
            .open(SharedBytes.Kind.JAR, sha)
            .orElseThrow(
                () ->
                    Statuses.failedPrecondition(
                        "classpath jar "
                            + sha
                            + " is neither on this server's disk nor in the store's shared bytes;"
                            + " upload it again (skiff deploy does)"));
    Path temp = null;
    try (InputStream in = source) {
      Files.createDirectories(jars);
      temp = Files.createTempFile(jars, "shared-", ".tmp");
      MessageDigest digest = sha256();
      try (OutputStream out = new DigestOutputStream(Files.newOutputStream(temp), digest)) {
        in.transferTo(out);
      }
      String actual = HexFormat.of().formatHex(digest.digest());
      if (!actual.equals(sha)) {
        throw new IOException("its copy in the shared bytes has the sha-256 " + actual);
      }
      DurableFiles.moveIntoPlace(temp, target);
      temp = null;
      LOG.log(Level.INFO, "jar {0} was copied from the shared bytes", sha);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "could not copy classpath jar " + sha + " from the shared bytes: " + e.getMessage(), e);
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException e) {
          LOG.log(Level.WARNING, "could not delete " + temp, e);
        }
      }
    }
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

  /**
   * The app a deployment defines, its classpath the stored files of the jars it names; a jar that
   * is not on this machine's disk is copied from the shared bytes first.
   *
   * @throws io.grpc.StatusRuntimeException FAILED_PRECONDITION if a jar is neither here nor shared
   * @throws UncheckedIOException if a jar could not be copied from the shared bytes
   */
  CreateAppRequest withStoredClasspath(DeployAppRequest request) {
    CreateAppRequest.Builder b = request.getApp().toBuilder().clearClasspath();
    for (String sha : request.getJarsList()) {
      checkSha(sha);
      fetch(sha);
      b.addClasspath(jarPath(sha).toString());
    }
    return b.build();
  }

  /**
   * Receives one jar upload with the chunked upload the blob and volume services use: the first
   * chunk names the jar's sha-256; the bytes are written to a temporary file, checked against that
   * digest, then moved into place and put in the shared bytes. Answers with the jar's digest and
   * size once both are durable, or with an error naming what was wrong.
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
        // Then for the other replicas: an acknowledged jar is one that every replica can use. A
        // jar is named by its content, so one already shared is not sent again.
        if (!shared.existing(SharedBytes.Kind.JAR, List.of(sha)).contains(sha)) {
          shared.put(SharedBytes.Kind.JAR, sha, jarPath(sha));
        }
        return UploadJarResponse.newBuilder().setSha256(sha).setSize(size).build();
      }
    };
  }
}
