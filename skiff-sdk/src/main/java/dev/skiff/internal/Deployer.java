package dev.skiff.internal;

import com.google.protobuf.ByteString;
import dev.skiff.DeployedApp;
import dev.skiff.SkiffException;
import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.DeployAppRequest;
import dev.skiff.proto.DeployAppResponse;
import dev.skiff.proto.FindMissingJarsRequest;
import dev.skiff.proto.JarChunk;
import dev.skiff.proto.UploadJarResponse;
import io.grpc.stub.StreamObserver;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * Deploys an app: uploads this program's classpath content-addressed and registers the app.
 *
 * <p>Each classpath entry becomes one jar named by its sha-256: a jar as it is, a directory packed
 * into a jar <em>deterministically</em> (entries sorted, fixed timestamps), so that unchanged
 * classes give the same hash. The server is asked which hashes it lacks and only those are sent.
 * Entries that do not exist are skipped.
 */
public final class Deployer {
  private static final int CHUNK = 1 << 20;
  private static final LocalDateTime FIXED_TIME = LocalDateTime.of(2000, 1, 1, 0, 0);

  private Deployer() {}

  /** Uploads the classpath of this JVM and deploys {@code app} (whose classpath is ignored). */
  public static DeployedApp deploy(SkiffClient client, CreateAppRequest app) {
    List<String> classpath =
        List.of(System.getProperty("java.class.path").split(File.pathSeparator));
    List<Path> temporary = new ArrayList<>();
    try {
      Map<String, Path> jars = new LinkedHashMap<>();
      for (String entry : classpath) {
        if (entry.isBlank()) {
          continue;
        }
        Path p = Path.of(entry).toAbsolutePath();
        if (Files.isDirectory(p)) {
          Path packed = Files.createTempFile("skiff-deploy-", ".jar");
          temporary.add(packed);
          pack(p, packed);
          jars.putIfAbsent(sha256(packed), packed);
        } else if (Files.isRegularFile(p)) {
          jars.putIfAbsent(sha256(p), p);
        }
      }
      List<String> missing =
          client
              .blocking()
              .findMissingJars(
                  FindMissingJarsRequest.newBuilder().addAllSha256(jars.keySet()).build())
              .getMissingList();
      for (String sha : missing) {
        upload(client, sha, jars.get(sha));
      }
      DeployAppResponse r =
          client
              .blocking()
              .deployApp(
                  DeployAppRequest.newBuilder().setApp(app).addAllJars(jars.keySet()).build());
      return new DeployedApp(
          app.getAppName(),
          r.getAppId(),
          r.getVersion(),
          r.getFunctionNamesList(),
          r.getWebUrlsMap(),
          Instant.ofEpochMilli(r.getDeployedAtMs()));
    } catch (IOException e) {
      throw new SkiffException(
          "could not read the classpath to deploy app '"
              + app.getAppName()
              + "': "
              + e.getMessage(),
          e);
    } catch (RuntimeException e) {
      throw client.translate(e);
    } finally {
      for (Path t : temporary) {
        try {
          Files.deleteIfExists(t);
        } catch (IOException ignored) {
          // A temporary file; the OS cleans up eventually.
        }
      }
    }
  }

  private static void upload(SkiffClient client, String sha, Path jar) throws IOException {
    CompletableFuture<UploadJarResponse> done = new CompletableFuture<>();
    StreamObserver<JarChunk> out =
        client
            .async()
            .uploadJar(
                new StreamObserver<>() {
                  @Override
                  public void onNext(UploadJarResponse value) {
                    done.complete(value);
                  }

                  @Override
                  public void onError(Throwable t) {
                    done.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    try (InputStream in = Files.newInputStream(jar)) {
      byte[] buf = new byte[CHUNK];
      boolean first = true;
      int n;
      while ((n = in.readNBytes(buf, 0, CHUNK)) > 0 || first) {
        JarChunk.Builder c = JarChunk.newBuilder().setData(ByteString.copyFrom(buf, 0, n));
        if (first) {
          c.setSha256(sha);
          first = false;
        }
        out.onNext(c.build());
        if (n == 0) {
          break;
        }
      }
      out.onCompleted();
    } catch (IOException | RuntimeException e) {
      out.onError(e);
      throw e;
    }
    try {
      done.get();
    } catch (ExecutionException e) {
      throw client.translate(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SkiffException("interrupted while uploading " + jar, e);
    }
  }

  /**
   * Packs a directory into a jar whose bytes depend only on the files' paths and contents (entries
   * in path order, one fixed time): what a deployed app's classpath directory becomes, and what the
   * local backend runs a program's classpath directory as.
   */
  public static void pack(Path dir, Path jar) throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir)) {
      files = walk.filter(p -> !p.equals(dir)).sorted().toList();
    }
    try (OutputStream os = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(os)) {
      List<String> names = new ArrayList<>();
      for (Path p : files) {
        String name = dir.relativize(p).toString().replace(File.separatorChar, '/');
        names.add(Files.isDirectory(p) ? name + "/" : name);
      }
      names.sort(null);
      for (String name : names) {
        JarEntry e = new JarEntry(name);
        e.setTimeLocal(FIXED_TIME);
        out.putNextEntry(e);
        if (!name.endsWith("/")) {
          Files.copy(dir.resolve(name), out);
        }
        out.closeEntry();
      }
    }
  }

  static String sha256(Path file) throws IOException {
    MessageDigest d;
    try {
      d = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        d.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(d.digest());
  }
}
