package dev.skiff.bench;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The client side of the gRPC baseline: starts {@link EchoServer} in a child JVM on this JDK,
 * connects to it over loopback with the same channel settings as Skiff's client (Netty, plaintext,
 * direct executor), and makes the calls the benchmarks time. Calls are made from one thread at a
 * time; {@link #close()} may come from any thread and is idempotent.
 */
final class EchoBaseline implements AutoCloseable {
  private static final Duration START_LIMIT = Duration.ofSeconds(30);

  private final ChildProcess server;
  private final ManagedChannel channel;
  private final long startNanos;

  private EchoBaseline(ChildProcess server, ManagedChannel channel, long startNanos) {
    this.server = server;
    this.channel = channel;
    this.startNanos = startNanos;
  }

  /** Starts the echo server JVM and connects to it; both are registered with {@code scope}. */
  static EchoBaseline start(Cleanup scope) throws InterruptedException {
    List<String> command =
        List.of(
            ChildProcess.javaExecutable().toString(),
            "-cp",
            System.getProperty("java.class.path"),
            EchoServer.class.getName());
    long start = System.nanoTime();
    ChildProcess server = ChildProcess.start("echo server", command, scope);
    int port = readPort(server);
    long startNanos = System.nanoTime() - start;
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().directExecutor().build();
    return scope.register(new EchoBaseline(server, channel, startNanos));
  }

  private static int readPort(ChildProcess server) throws InterruptedException {
    var reader =
        new BufferedReader(
            new InputStreamReader(server.process().getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> line = new CompletableFuture<>();
    Thread.ofVirtual()
        .start(
            () -> {
              try {
                line.complete(reader.readLine());
              } catch (Exception e) {
                line.completeExceptionally(e);
              }
            });
    String announced;
    try {
      announced = line.get(START_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(server + " did not announce its port: " + e, e);
    }
    if (announced == null || !announced.startsWith(EchoServer.PORT_PREFIX)) {
      throw new IllegalStateException(server + " printed '" + announced + "' instead of its port");
    }
    return Integer.parseInt(announced.substring(EchoServer.PORT_PREFIX.length()).trim());
  }

  /** How long the server JVM took from launch to announcing its port, in milliseconds. */
  double startMillis() {
    return startNanos / 1e6;
  }

  /** The server JVM's process id (for its resident set size). */
  long serverPid() {
    return server.pid();
  }

  /** One unary round trip. */
  byte[] unary(byte[] request) {
    return ClientCalls.blockingUnaryCall(channel, EchoService.UNARY, CallOptions.DEFAULT, request);
  }

  /**
   * Streams every payload to the server on one bidirectional call, as fast as flow control allows,
   * and waits until every reply has arrived.
   *
   * @return how many replies arrived (equal to the number of payloads unless the call failed)
   * @throws IllegalStateException if the call fails or does not finish within {@code limit}
   */
  long stream(List<byte[]> payloads, Duration limit) throws InterruptedException {
    CountDownLatch done = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long[] replies = new long[1]; // touched only by gRPC's callbacks, read after done
    ClientResponseObserver<byte[], byte[]> observer =
        new ClientResponseObserver<>() {
          private int sent; // touched only by the on-ready handler
          private boolean halfClosed;

          @Override
          public void beforeStart(ClientCallStreamObserver<byte[]> requests) {
            requests.setOnReadyHandler(
                () -> {
                  while (requests.isReady() && sent < payloads.size()) {
                    requests.onNext(payloads.get(sent++));
                  }
                  if (sent == payloads.size() && !halfClosed) {
                    halfClosed = true;
                    requests.onCompleted();
                  }
                });
          }

          @Override
          public void onNext(byte[] value) {
            replies[0]++;
          }

          @Override
          public void onError(Throwable t) {
            failure.set(t);
            done.countDown();
          }

          @Override
          public void onCompleted() {
            done.countDown();
          }
        };
    var call = channel.newCall(EchoService.STREAM, CallOptions.DEFAULT);
    ClientCalls.asyncBidiStreamingCall(call, observer);
    if (!done.await(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      call.cancel("the benchmark's time limit passed", null);
      throw new IllegalStateException("the echo stream did not finish within " + limit);
    }
    if (failure.get() != null) {
      throw new IllegalStateException("the echo stream failed: " + failure.get(), failure.get());
    }
    return replies[0];
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    server.close();
  }

  @Override
  public String toString() {
    return "echo baseline via " + server;
  }
}
