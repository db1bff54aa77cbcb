package dev.skiff.server.api;

import com.google.protobuf.ByteString;
import dev.skiff.proto.BlobApiGrpc;
import dev.skiff.proto.BlobChunk;
import dev.skiff.proto.BlobRef;
import dev.skiff.server.auth.Principal;
import dev.skiff.server.common.Statuses;
import dev.skiff.server.deploy.CrossAppCalls;
import dev.skiff.server.files.BlobStore;
import dev.skiff.server.files.FileTransfer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BiPredicate;
import java.util.function.Predicate;

/**
 * Uploads and downloads of large payloads ({@code BlobApi}). A blob belongs to the app it was put
 * for; a client may use the blobs of any running app, a container only those of its own app and of
 * the deployed apps its app may call ({@link CrossAppCalls}; the owner is looked up with the blob,
 * never taken from the request). Uploads are written to disk as they arrive; downloads are sent in
 * chunks as the stream has room for them, from a virtual thread.
 */
public final class BlobService extends BlobApiGrpc.BlobApiImplBase {
  private final BlobStore store;
  private final Predicate<String> appRunning;
  private final Predicate<String> deployed;
  private final BiPredicate<String, String> mayCall;

  /**
   * @param deployed whether an app is deployed: its blobs are kept past its stop, durably ({@link
   *     BlobStore#register})
   * @param mayCall whether a container of the first app may call the second ({@link
   *     CrossAppCalls#allows}): the blobs of a call go with it
   */
  public BlobService(
      BlobStore store,
      Predicate<String> appRunning,
      Predicate<String> deployed,
      BiPredicate<String, String> mayCall) {
    this.store = store;
    this.appRunning = appRunning;
    this.deployed = deployed;
    this.mayCall = mayCall;
  }

  /** A container may put blobs for its own app, or for an app it may call (the call's payload). */
  private void checkMayPut(String appId) {
    if (Principal.current() instanceof Principal.Container c && !mayCall.test(c.appId(), appId)) {
      throw Statuses.denied(
          "a container of app "
              + c.appId()
              + " may not put blobs for app "
              + appId
              + "; a container token may put blobs for its own app and the apps it may call only");
    }
  }

  /**
   * A container may read the blobs of its own app, or of an app it may call (its calls' results):
   * the app that put the blob.
   */
  private void checkMayRead(BlobStore.Blob blob) {
    if (Principal.current() instanceof Principal.Container c
        && !mayCall.test(c.appId(), blob.appId())) {
      throw Statuses.denied(
          "blob "
              + blob.id()
              + " belongs to app "
              + blob.appId()
              + "; a container token may read the blobs of its own app and the apps it may call"
              + " only");
    }
  }

  @Override
  public StreamObserver<BlobChunk> putBlob(StreamObserver<BlobRef> response) {
    return new FileTransfer.Upload<BlobChunk, BlobRef>(response, "blob upload") {
      private String appId;

      @Override
      protected Path begin(BlobChunk first) throws IOException {
        appId = first.getAppId();
        if (!appRunning.test(appId)) {
          throw Status.NOT_FOUND
              .withDescription("app '" + appId + "' is not running")
              .asRuntimeException();
        }
        checkMayPut(appId);
        return store.newFile();
      }

      @Override
      protected ByteString data(BlobChunk chunk) {
        return chunk.getData();
      }

      @Override
      protected void checkSize(long size) {
        store.checkSize(size);
      }

      @Override
      protected BlobRef finish(Path file, long size) {
        BlobStore.Blob b = store.register(appId, file, size, deployed.test(appId));
        return BlobRef.newBuilder().setId(b.id()).setSize(b.size()).build();
      }
    };
  }

  @Override
  public void getBlob(BlobRef request, StreamObserver<BlobChunk> response) {
    BlobStore.Blob blob;
    try {
      // On a store shared by replicas, one taken by another replica is copied here first.
      blob = store.find(request.getId()).orElse(null);
    } catch (RuntimeException e) {
      response.onError(Statuses.of(e));
      return;
    }
    if (blob == null) {
      response.onError(
          Status.NOT_FOUND
              .withDescription(
                  "blob '" + request.getId() + "' does not exist (its app may have stopped)")
              .asRuntimeException());
      return;
    }
    try {
      checkMayRead(blob);
    } catch (StatusRuntimeException e) {
      response.onError(e);
      return;
    }
    FileTransfer.download(
        response,
        "blob download",
        () -> Files.newInputStream(blob.file()),
        data -> BlobChunk.newBuilder().setData(data).build());
  }
}
