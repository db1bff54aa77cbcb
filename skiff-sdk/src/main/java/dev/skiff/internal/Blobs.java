package dev.skiff.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.skiff.PayloadException;
import dev.skiff.proto.BlobApiGrpc;
import dev.skiff.proto.BlobChunk;
import dev.skiff.proto.BlobRef;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Moves large payloads out of band. A payload up to {@link #inlineLimit()} travels inside the
 * message that carries it; a larger one is uploaded to the control plane in chunks, and the message
 * carries a <em>blob reference</em> instead: the CBOR tag 21323 wrapping the blob's id, which the
 * codec never produces for a value. The receiver sees the tag and downloads the bytes. The control
 * plane never looks inside payloads, so arguments, results and generator items all travel the same
 * way, and gRPC messages stay small.
 */
public final class Blobs {
  /** The system property that sets the largest payload sent inline, in bytes. */
  public static final String INLINE_PROPERTY = "skiff.inlinePayloadBytes";

  /** By default payloads up to 4 MiB travel inline. */
  public static final int DEFAULT_INLINE_BYTES = 4 * 1024 * 1024;

  private static final int CHUNK = 1024 * 1024;
  // CBOR: major type 6 (tag) with a 2-byte tag number, 21323 = 0x534B ("SK").
  private static final byte[] TAG = {(byte) 0xD9, 0x53, 0x4B};

  private Blobs() {}

  /** The largest payload sent inline now. */
  public static int inlineLimit() {
    String v = System.getProperty(INLINE_PROPERTY);
    if (v == null) {
      return DEFAULT_INLINE_BYTES;
    }
    try {
      return Math.max(1024, Integer.parseInt(v.trim()));
    } catch (NumberFormatException e) {
      throw new PayloadException(
          INLINE_PROPERTY + " is '" + v + "'; allowed is a number of bytes (at least 1024)");
    }
  }

  /** The payload as it goes on the wire: inline, or uploaded and replaced by its reference. */
  public static ByteString outgoing(byte[] payload, SkiffClient client, String appId) {
    if (payload.length <= inlineLimit()) {
      return UnsafeByteOperations.unsafeWrap(payload);
    }
    return UnsafeByteOperations.unsafeWrap(reference(upload(payload, client, appId)));
  }

  /** The payload's bytes: as received, or downloaded when it is a blob reference. */
  public static byte[] incoming(ByteString payload, SkiffClient client) {
    if (!isReference(payload)) {
      return payload.toByteArray();
    }
    return download(idOf(payload), client);
  }

  /** Whether a payload is a blob reference (and so needs a download to read). */
  public static boolean isReference(ByteString payload) {
    return payload.size() > TAG.length + 1
        && payload.byteAt(0) == TAG[0]
        && payload.byteAt(1) == TAG[1]
        && payload.byteAt(2) == TAG[2];
  }

  static byte[] reference(String id) {
    byte[] text = id.getBytes(StandardCharsets.US_ASCII);
    if (text.length > 255) {
      throw new IllegalArgumentException("blob id too long: " + id);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(TAG.length + 2 + text.length);
    out.writeBytes(TAG);
    out.write(0x78); // text string, 1-byte length
    out.write(text.length);
    out.writeBytes(text);
    return out.toByteArray();
  }

  static String idOf(ByteString reference) {
    int length = reference.byteAt(TAG.length + 1) & 0xFF;
    return reference
        .substring(TAG.length + 2, TAG.length + 2 + length)
        .toString(StandardCharsets.US_ASCII);
  }

  private static String upload(byte[] payload, SkiffClient client, String appId) {
    CompletableFuture<BlobRef> done = new CompletableFuture<>();
    StreamObserver<BlobChunk> up =
        BlobApiGrpc.newStub(client.channel())
            .putBlob(
                new StreamObserver<>() {
                  @Override
                  public void onNext(BlobRef ref) {
                    done.complete(ref);
                  }

                  @Override
                  public void onError(Throwable t) {
                    done.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    for (int off = 0; off < payload.length; off += CHUNK) {
      int n = Math.min(CHUNK, payload.length - off);
      up.onNext(
          BlobChunk.newBuilder()
              .setAppId(appId)
              .setData(UnsafeByteOperations.unsafeWrap(payload, off, n))
              .build());
    }
    up.onCompleted();
    try {
      return done.get().getId();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PayloadException(
          "interrupted while uploading a " + payload.length + "-byte payload");
    } catch (ExecutionException e) {
      throw client.translate(e.getCause());
    }
  }

  private static byte[] download(String id, SkiffClient client) {
    try {
      Iterator<BlobChunk> chunks =
          BlobApiGrpc.newBlockingStub(client.channel())
              .getBlob(BlobRef.newBuilder().setId(id).build());
      ByteString.Output out = ByteString.newOutput();
      while (chunks.hasNext()) {
        chunks.next().getData().writeTo(out);
      }
      return out.toByteString().toByteArray();
    } catch (RuntimeException | IOException e) {
      throw client.translate(e);
    }
  }
}
