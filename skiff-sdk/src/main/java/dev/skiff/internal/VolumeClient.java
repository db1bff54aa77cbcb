package dev.skiff.internal;

import com.google.protobuf.ByteString;
import dev.skiff.SkiffException;
import dev.skiff.VolumeEntry;
import dev.skiff.proto.ListFilesRequest;
import dev.skiff.proto.ListVolumesRequest;
import dev.skiff.proto.RemovePathRequest;
import dev.skiff.proto.VolumeApiGrpc;
import dev.skiff.proto.VolumeChunk;
import dev.skiff.proto.VolumeFileEntry;
import dev.skiff.proto.VolumeFileRef;
import dev.skiff.proto.VolumeInfo;
import dev.skiff.proto.VolumeRef;
import dev.skiff.proto.WriteFileResponse;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The SDK's side of the volume API: each operation opens a {@link Connection} (the configured
 * server, or an embedded control plane), makes its calls and closes it. Thread-safe.
 */
public final class VolumeClient {
  /** Bytes per upload chunk. */
  private static final int CHUNK = 1024 * 1024;

  private VolumeClient() {}

  private static <T> T withApi(Function<Connection, T> body) {
    try (Connection connection = Connection.open()) {
      try {
        return body.apply(connection);
      } catch (RuntimeException e) {
        throw connection.client().translate(e);
      }
    }
  }

  private static VolumeApiGrpc.VolumeApiBlockingStub blocking(Connection c) {
    return VolumeApiGrpc.newBlockingStub(c.client().channel());
  }

  /** Creates a volume. */
  public static void create(String name) {
    withApi(c -> blocking(c).createVolume(VolumeRef.newBuilder().setName(name).build()));
  }

  /** The names of every volume, sorted. */
  public static List<String> list() {
    return withApi(
        c ->
            blocking(c)
                .listVolumes(ListVolumesRequest.getDefaultInstance())
                .getVolumesList()
                .stream()
                .map(VolumeInfo::getName)
                .toList());
  }

  /** Deletes a volume with its files. */
  public static void delete(String name) {
    withApi(c -> blocking(c).deleteVolume(VolumeRef.newBuilder().setName(name).build()));
  }

  /** What lies in {@code dir} of a volume, at any depth if {@code recursive}. */
  public static List<VolumeEntry> listFiles(String volume, String dir, boolean recursive) {
    return withApi(c -> listFiles(c, volume, dir, recursive));
  }

  private static List<VolumeEntry> listFiles(
      Connection c, String volume, String dir, boolean recursive) {
    List<VolumeEntry> out = new ArrayList<>();
    for (VolumeFileEntry e :
        blocking(c)
            .listFiles(
                ListFilesRequest.newBuilder()
                    .setVolume(volume)
                    .setPath(dir)
                    .setRecursive(recursive)
                    .build())
            .getEntriesList()) {
      out.add(
          new VolumeEntry(
              e.getPath(), e.getDirectory(), e.getSize(), Instant.ofEpochMilli(e.getModifiedMs())));
    }
    return List.copyOf(out);
  }

  /** The contents of a file of a volume. */
  public static byte[] read(String volume, String path) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    withApi(
        c -> {
          readTo(c, volume, path, out);
          return null;
        });
    return out.toByteArray();
  }

  private static void readTo(Connection c, String volume, String path, OutputStream out) {
    Iterator<VolumeChunk> chunks =
        blocking(c).readFile(VolumeFileRef.newBuilder().setVolume(volume).setPath(path).build());
    try {
      while (chunks.hasNext()) {
        chunks.next().getData().writeTo(out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not write what was read from '" + path + "'", e);
    }
  }

  /** Writes a file of a volume (replacing it), creating the volume if {@code createVolume}. */
  public static void write(String volume, String path, byte[] data, boolean createVolume) {
    withApi(c -> writeFrom(c, volume, path, new ByteArrayInputStream(data), createVolume));
  }

  /**
   * Uploads a local file to {@code remotePath}, or a local directory's files to the same relative
   * paths under {@code remotePath}.
   */
  public static void upload(Path local, String volume, String remotePath, boolean createVolume) {
    if (!Files.exists(local)) {
      throw new SkiffException("cannot upload '" + local + "': it does not exist");
    }
    withApi(
        c -> {
          if (Files.isDirectory(local)) {
            List<Path> files;
            try (Stream<Path> walk = Files.walk(local)) {
              files = walk.filter(Files::isRegularFile).sorted().toList();
            } catch (IOException e) {
              throw new UncheckedIOException("could not list '" + local + "'", e);
            }
            for (Path f : files) {
              String rel = local.relativize(f).toString().replace(File.separatorChar, '/');
              uploadFile(c, f, volume, join(remotePath, rel), createVolume);
            }
          } else {
            uploadFile(c, local, volume, remotePath, createVolume);
          }
          return null;
        });
  }

  private static void uploadFile(
      Connection c, Path file, String volume, String remote, boolean createVolume) {
    try (InputStream in = Files.newInputStream(file)) {
      writeFrom(c, volume, remote, in, createVolume);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read '" + file + "'", e);
    }
  }

  /**
   * Downloads a file of a volume to the local file {@code local}, or a directory to the local
   * directory {@code local} (files at the same relative paths).
   */
  public static void download(String volume, String remotePath, Path local) {
    withApi(
        c -> {
          List<VolumeEntry> entries = listFiles(c, volume, remotePath, true);
          String normal = normalise(remotePath);
          if (entries.size() == 1
              && !entries.get(0).directory()
              && entries.get(0).path().equals(normal)) {
            downloadFile(c, volume, normal, local);
            return null;
          }
          try {
            Files.createDirectories(local);
          } catch (IOException e) {
            throw new UncheckedIOException("could not create '" + local + "'", e);
          }
          for (VolumeEntry e : entries) {
            String rel = normal.isEmpty() ? e.path() : e.path().substring(normal.length() + 1);
            Path target = local.resolve(rel).normalize();
            if (!target.startsWith(local.normalize())) {
              throw new SkiffException("refusing to write '" + e.path() + "' outside " + local);
            }
            if (e.directory()) {
              try {
                Files.createDirectories(target);
              } catch (IOException x) {
                throw new UncheckedIOException("could not create '" + target + "'", x);
              }
            } else {
              downloadFile(c, volume, e.path(), target);
            }
          }
          return null;
        });
  }

  private static void downloadFile(Connection c, String volume, String path, Path target) {
    try {
      if (target.getParent() != null) {
        Files.createDirectories(target.getParent());
      }
      try (OutputStream out = Files.newOutputStream(target)) {
        readTo(c, volume, path, out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not write '" + target + "'", e);
    }
  }

  /** Removes a file or directory of a volume. */
  public static void remove(String volume, String path, boolean recursive) {
    withApi(
        c ->
            blocking(c)
                .removePath(
                    RemovePathRequest.newBuilder()
                        .setVolume(volume)
                        .setPath(path)
                        .setRecursive(recursive)
                        .build()));
  }

  private static String join(String dir, String rel) {
    String d = normalise(dir);
    return d.isEmpty() ? rel : d + "/" + rel;
  }

  private static String normalise(String path) {
    List<String> parts = new ArrayList<>();
    for (String s : path.split("/", -1)) {
      if (!s.isEmpty() && !s.equals(".")) {
        parts.add(s);
      }
    }
    return String.join("/", parts);
  }

  /** Streams {@code in} as one file upload, waiting for the stream to have room for each chunk. */
  private static WriteFileResponse writeFrom(
      Connection c, String volume, String path, InputStream in, boolean createVolume) {
    CompletableFuture<WriteFileResponse> done = new CompletableFuture<>();
    Object ready = new Object();
    @SuppressWarnings("unchecked")
    ClientCallStreamObserver<VolumeChunk>[] request = new ClientCallStreamObserver[1];
    VolumeApiGrpc.newStub(c.client().channel())
        .writeFile(
            new ClientResponseObserver<VolumeChunk, WriteFileResponse>() {
              @Override
              public void beforeStart(ClientCallStreamObserver<VolumeChunk> stream) {
                request[0] = stream;
                stream.setOnReadyHandler(
                    () -> {
                      synchronized (ready) {
                        ready.notifyAll();
                      }
                    });
              }

              @Override
              public void onNext(WriteFileResponse value) {
                done.complete(value);
              }

              @Override
              public void onError(Throwable t) {
                done.completeExceptionally(t);
                synchronized (ready) {
                  ready.notifyAll();
                }
              }

              @Override
              public void onCompleted() {
                done.complete(WriteFileResponse.getDefaultInstance());
              }
            });
    ClientCallStreamObserver<VolumeChunk> stream = request[0];
    try {
      byte[] buf = new byte[CHUNK];
      boolean first = true;
      int n;
      while ((n = in.readNBytes(buf, 0, CHUNK)) > 0 || first) {
        synchronized (ready) {
          while (!stream.isReady() && !done.isDone()) {
            ready.wait(100);
          }
        }
        if (done.isDone()) {
          break; // the server refused the upload; its error is in done
        }
        VolumeChunk.Builder chunk =
            VolumeChunk.newBuilder().setData(ByteString.copyFrom(buf, 0, n));
        if (first) {
          chunk.setVolume(volume).setPath(path).setCreateVolume(createVolume);
          first = false;
        }
        stream.onNext(chunk.build());
      }
      if (!done.isDone()) {
        stream.onCompleted();
      }
      return done.get();
    } catch (IOException e) {
      stream.cancel("the local file could not be read", e);
      throw new UncheckedIOException("could not read what to write to '" + path + "'", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stream.cancel("interrupted", e);
      throw new SkiffException("interrupted while writing '" + path + "'", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r
          ? r
          : new SkiffException("writing '" + path + "' failed: " + e.getCause(), e.getCause());
    }
  }
}
