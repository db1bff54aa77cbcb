package dev.skiff.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.skiff.proto.DeleteVolumeResponse;
import dev.skiff.proto.ListFilesRequest;
import dev.skiff.proto.ListFilesResponse;
import dev.skiff.proto.ListVolumesRequest;
import dev.skiff.proto.ListVolumesResponse;
import dev.skiff.proto.RemovePathRequest;
import dev.skiff.proto.RemovePathResponse;
import dev.skiff.proto.VolumeApiGrpc;
import dev.skiff.proto.VolumeChunk;
import dev.skiff.proto.VolumeFileEntry;
import dev.skiff.proto.VolumeFileRef;
import dev.skiff.proto.VolumeInfo;
import dev.skiff.proto.VolumeRef;
import dev.skiff.proto.WriteFileResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Supplier;

/**
 * The volume API ({@code VolumeApi}) over a {@link VolumeStore}, for clients only: a container works
 * with the volumes mounted in it. Small operations run on the transport thread (they touch one
 * directory); a download is sent in chunks as the stream has room, from a virtual thread; an upload
 * is written to a file beside the volumes as it arrives and renamed into place when it completes.
 */
final class VolumeService extends VolumeApiGrpc.VolumeApiImplBase {
  /** Bytes per download chunk. */
  private static final int CHUNK = 1024 * 1024;

  private final VolumeStore store;

  VolumeService(VolumeStore store) {
    this.store = store;
  }

  private static void checkClient() {
    if (!(Principal.current() instanceof Principal.Client)) {
      throw Statuses.denied(
          "containers may not use the volume API; they read and write the volumes mounted in them");
    }
  }

  @Override
  public void createVolume(VolumeRef request, StreamObserver<VolumeInfo> response) {
    respond(
        response,
        () -> {
          checkClient();
          store.create(request.getName());
          return VolumeInfo.newBuilder()
              .setName(request.getName())
              .setCreatedMs(System.currentTimeMillis())
              .build();
        });
  }

  @Override
  public void listVolumes(ListVolumesRequest request, StreamObserver<ListVolumesResponse> response) {
    respond(
        response,
        () -> {
          checkClient();
          ListVolumesResponse.Builder out = ListVolumesResponse.newBuilder();
          store
              .list()
              .forEach(
                  v ->
                      out.addVolumes(
                          VolumeInfo.newBuilder()
                              .setName(v.name())
                              .setCreatedMs(v.createdMillis())));
          return out.build();
        });
  }

  @Override
  public void deleteVolume(VolumeRef request, StreamObserver<DeleteVolumeResponse> response) {
    respond(
        response,
        () -> {
          checkClient();
          store.delete(request.getName());
          return DeleteVolumeResponse.getDefaultInstance();
        });
  }

  @Override
  public void listFiles(ListFilesRequest request, StreamObserver<ListFilesResponse> response) {
    respond(
        response,
        () -> {
          checkClient();
          ListFilesResponse.Builder out = ListFilesResponse.newBuilder();
          for (VolumeStore.Entry e :
              store.listFiles(request.getVolume(), request.getPath(), request.getRecursive())) {
            out.addEntries(
                VolumeFileEntry.newBuilder()
                    .setPath(e.path())
                    .setDirectory(e.directory())
                    .setSize(e.size())
                    .setModifiedMs(e.modifiedMillis()));
          }
          return out.build();
        });
  }

  @Override
  public void removePath(RemovePathRequest request, StreamObserver<RemovePathResponse> response) {
    respond(
        response,
        () -> {
          checkClient();
          store.remove(request.getVolume(), request.getPath(), request.getRecursive());
          return RemovePathResponse.getDefaultInstance();
        });
  }

  @Override
  public void readFile(VolumeFileRef request, StreamObserver<VolumeChunk> response) {
    Path file;
    try {
      checkClient();
      file = store.file(request.getVolume(), request.getPath());
    } catch (RuntimeException e) {
      response.onError(Statuses.of(e));
      return;
    }
    ServerCallStreamObserver<VolumeChunk> stream = (ServerCallStreamObserver<VolumeChunk>) response;
    Object ready = new Object();
    stream.setOnReadyHandler(
        () -> {
          synchronized (ready) {
            ready.notifyAll();
          }
        });
    Thread.ofVirtual()
        .name("skiff-volume-read")
        .start(
            () -> {
              try (InputStream in =
                  Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                byte[] buf = new byte[CHUNK];
                int n;
                boolean sent = false;
                while ((n = in.readNBytes(buf, 0, CHUNK)) > 0 || !sent) {
                  synchronized (ready) {
                    while (!stream.isReady() && !stream.isCancelled()) {
                      ready.wait(100);
                    }
                  }
                  if (stream.isCancelled()) {
                    return;
                  }
                  ByteString data = UnsafeByteOperations.unsafeWrap(buf.clone(), 0, Math.max(n, 0));
                  stream.onNext(VolumeChunk.newBuilder().setData(data).build());
                  sent = true;
                  if (n <= 0) {
                    break;
                  }
                }
                stream.onCompleted();
              } catch (IOException | RuntimeException e) {
                stream.onError(
                    Status.INTERNAL
                        .withDescription("reading '" + request.getPath() + "' failed: " + e)
                        .asRuntimeException());
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
  }

  @Override
  public StreamObserver<VolumeChunk> writeFile(StreamObserver<WriteFileResponse> response) {
    return new StreamObserver<>() {
      private Path upload;
      private OutputStream out;
      private String volume;
      private String path;
      private long size;
      private boolean failed;

      @Override
      public void onNext(VolumeChunk chunk) {
        if (failed) {
          return;
        }
        try {
          if (out == null) {
            checkClient();
            volume = chunk.getVolume();
            path = chunk.getPath();
            if (chunk.getCreateVolume()) {
              store.ensure(volume);
            }
            store.resolve(volume, path); // checks the volume and the path before any byte
            if (VolumeStore.normalise(path).isEmpty()) {
              throw Statuses.invalid("a file needs a path inside volume '" + volume + "'");
            }
            upload = store.newIncoming();
            out = Files.newOutputStream(upload);
          }
          size += chunk.getData().size();
          chunk.getData().writeTo(out);
        } catch (IOException | RuntimeException e) {
          fail(e);
        }
      }

      private void fail(Exception e) {
        failed = true;
        discard();
        response.onError(
            e instanceof StatusRuntimeException s ? s : Statuses.of(new RuntimeException(e)));
      }

      private void discard() {
        try {
          if (out != null) {
            out.close();
          }
          if (upload != null) {
            Files.deleteIfExists(upload);
          }
        } catch (IOException ignored) {
          // a leftover upload file is harmless: it is never part of a volume
        }
      }

      @Override
      public void onError(Throwable t) {
        failed = true;
        discard();
      }

      @Override
      public void onCompleted() {
        if (failed) {
          return;
        }
        if (out == null) {
          response.onError(Statuses.invalid("a file upload needs at least one chunk"));
          return;
        }
        try {
          out.close();
          store.commit(upload, volume, path);
        } catch (IOException | RuntimeException e) {
          fail(e);
          return;
        }
        response.onNext(WriteFileResponse.newBuilder().setSize(size).build());
        response.onCompleted();
      }
    };
  }

  private static <T> void respond(StreamObserver<T> response, Supplier<T> body) {
    T value;
    try {
      value = body.get();
    } catch (RuntimeException e) {
      response.onError(Statuses.of(e));
      return;
    }
    response.onNext(value);
    response.onCompleted();
  }
}
