package dev.skiff.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.skiff.proto.BlobApiGrpc;
import dev.skiff.proto.BlobChunk;
import dev.skiff.proto.BlobRef;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;

/**
 * Uploads and downloads of large payloads ({@code BlobApi}). A client may use the blobs of any
 * running app; a container only those of its own app. Uploads are written to disk as they arrive;
 * downloads are sent in chunks as the stream has room for them, from a virtual thread.
 */
final class BlobService extends BlobApiGrpc.BlobApiImplBase {
  /** Bytes per download chunk. */
  private static final int CHUNK = 1024 * 1024;

  /** The largest blob accepted: the SDK's largest payload plus room for its framing. */
  static final long MAX_BLOB_BYTES = 256L * 1024 * 1024 + 64 * 1024;

  private final BlobStore store;
  private final Predicate<String> appRunning;

  BlobService(BlobStore store, Predicate<String> appRunning) {
    this.store = store;
    this.appRunning = appRunning;
  }

  private static void checkMayUse(String appId) {
    if (Principal.current() instanceof Principal.Container c && !c.appId().equals(appId)) {
      throw Status.PERMISSION_DENIED
          .withDescription("a container may only use the blobs of its own app")
          .asRuntimeException();
    }
  }

  @Override
  public StreamObserver<BlobChunk> putBlob(StreamObserver<BlobRef> response) {
    return new StreamObserver<>() {
      private Path file;
      private OutputStream out;
      private String appId;
      private long size;
      private boolean failed;

      @Override
      public void onNext(BlobChunk chunk) {
        if (failed) {
          return;
        }
        try {
          if (out == null) {
            appId = chunk.getAppId();
            if (!appRunning.test(appId)) {
              throw Status.NOT_FOUND
                  .withDescription("app '" + appId + "' is not running")
                  .asRuntimeException();
            }
            checkMayUse(appId);
            file = store.newFile();
            out = Files.newOutputStream(file);
          }
          size += chunk.getData().size();
          if (size > MAX_BLOB_BYTES) {
            throw Status.RESOURCE_EXHAUSTED
                .withDescription("a blob may hold at most " + MAX_BLOB_BYTES + " bytes")
                .asRuntimeException();
          }
          chunk.getData().writeTo(out);
        } catch (IOException | RuntimeException e) {
          fail(e);
        }
      }

      private void fail(Exception e) {
        failed = true;
        closeQuietly();
        if (file != null) {
          BlobStore.delete(file);
        }
        response.onError(
            e instanceof io.grpc.StatusRuntimeException s
                ? s
                : Status.INTERNAL.withDescription("blob upload failed: " + e).asRuntimeException());
      }

      private void closeQuietly() {
        if (out != null) {
          try {
            out.close();
          } catch (IOException ignored) {
            // the file is deleted anyway
          }
        }
      }

      @Override
      public void onError(Throwable t) {
        failed = true;
        closeQuietly();
        if (file != null) {
          BlobStore.delete(file);
        }
      }

      @Override
      public void onCompleted() {
        if (failed) {
          return;
        }
        if (out == null) {
          response.onError(
              Status.INVALID_ARGUMENT.withDescription("an upload needs at least one chunk").asRuntimeException());
          return;
        }
        try {
          out.close();
        } catch (IOException e) {
          fail(e);
          return;
        }
        BlobStore.Blob b = store.register(appId, file, size);
        response.onNext(BlobRef.newBuilder().setId(b.id()).setSize(b.size()).build());
        response.onCompleted();
      }
    };
  }

  @Override
  public void getBlob(BlobRef request, StreamObserver<BlobChunk> response) {
    BlobStore.Blob blob = store.find(request.getId()).orElse(null);
    if (blob == null) {
      response.onError(
          Status.NOT_FOUND
              .withDescription(
                  "blob '" + request.getId() + "' does not exist (its app may have stopped)")
              .asRuntimeException());
      return;
    }
    try {
      checkMayUse(blob.appId());
    } catch (io.grpc.StatusRuntimeException e) {
      response.onError(e);
      return;
    }
    ServerCallStreamObserver<BlobChunk> stream = (ServerCallStreamObserver<BlobChunk>) response;
    Object ready = new Object();
    stream.setOnReadyHandler(
        () -> {
          synchronized (ready) {
            ready.notifyAll();
          }
        });
    Thread.ofVirtual()
        .name("skiff-blob-" + blob.id())
        .start(
            () -> {
              try (InputStream in = Files.newInputStream(blob.file())) {
                byte[] buf = new byte[CHUNK];
                int n;
                while ((n = in.readNBytes(buf, 0, CHUNK)) > 0) {
                  synchronized (ready) {
                    while (!stream.isReady() && !stream.isCancelled()) {
                      ready.wait(100);
                    }
                  }
                  if (stream.isCancelled()) {
                    return;
                  }
                  ByteString data = UnsafeByteOperations.unsafeWrap(buf.clone(), 0, n);
                  stream.onNext(BlobChunk.newBuilder().setData(data).build());
                }
                stream.onCompleted();
              } catch (IOException | RuntimeException e) {
                stream.onError(
                    Status.INTERNAL.withDescription("blob download failed: " + e).asRuntimeException());
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
  }
}
