package dev.skiff.bench;

import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The baseline's gRPC service, defined by hand (no {@code .proto}): a unary echo and a
 * bidirectional-stream echo of raw bytes. It is the least a gRPC round trip can cost on this JDK,
 * which is what Skiff's figures are compared with.
 */
final class EchoService {
  static final String SERVICE_NAME = "skiff.bench.Echo";

  /** Byte arrays as they are; the stream knows its length, as protobuf's does. */
  static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new KnownLengthBytes(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  static final MethodDescriptor<byte[], byte[]> UNARY =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE_NAME, "Unary"))
          .setRequestMarshaller(BYTES)
          .setResponseMarshaller(BYTES)
          .build();

  static final MethodDescriptor<byte[], byte[]> STREAM =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE_NAME, "Stream"))
          .setRequestMarshaller(BYTES)
          .setResponseMarshaller(BYTES)
          .build();

  /** The server side: each request comes back unchanged. */
  static ServerServiceDefinition definition() {
    return ServerServiceDefinition.builder(SERVICE_NAME)
        .addMethod(
            UNARY,
            ServerCalls.asyncUnaryCall(
                (request, response) -> {
                  response.onNext(request);
                  response.onCompleted();
                }))
        .addMethod(
            STREAM,
            ServerCalls.asyncBidiStreamingCall(
                response ->
                    new StreamObserver<byte[]>() {
                      @Override
                      public void onNext(byte[] value) {
                        response.onNext(value);
                      }

                      @Override
                      public void onError(Throwable t) {
                        // The client went away; nothing to answer.
                      }

                      @Override
                      public void onCompleted() {
                        response.onCompleted();
                      }
                    }))
        .build();
  }

  private static final class KnownLengthBytes extends ByteArrayInputStream implements KnownLength {
    KnownLengthBytes(byte[] bytes) {
      super(bytes);
    }
  }

  private EchoService() {}
}
