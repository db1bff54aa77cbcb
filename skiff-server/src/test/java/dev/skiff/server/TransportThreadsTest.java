package dev.skiff.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.Assignment;
import dev.skiff.proto.CallRequest;
import dev.skiff.proto.CancelRequest;
import dev.skiff.proto.CancelResponse;
import dev.skiff.proto.ClientApiGrpc;
import dev.skiff.proto.ContainerApiGrpc;
import dev.skiff.proto.ContainerHello;
import dev.skiff.proto.ContainerMessage;
import dev.skiff.proto.ControlMessage;
import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.DeployAppRequest;
import dev.skiff.proto.DeployAppResponse;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.FunctionRef;
import dev.skiff.proto.Heartbeat;
import dev.skiff.proto.Output;
import dev.skiff.proto.OutputBatch;
import dev.skiff.proto.Ready;
import dev.skiff.proto.Result;
import dev.skiff.server.auth.TokenInterceptor;
import dev.skiff.server.runtime.ControlPlaneConfig;
import dev.skiff.server.store.CallStore;
import dev.skiff.server.store.DeploymentStore;
import dev.skiff.server.store.InMemoryStore;
import dev.skiff.server.store.LogStore;
import dev.skiff.server.store.RunStore;
import dev.skiff.server.store.Store;
import dev.skiff.server.store.StoredApp;
import dev.skiff.server.store.StoredCall;
import dev.skiff.server.store.TokenStore;
import dev.skiff.server.testing.FakeBackend;
import dev.skiff.server.testing.RecordingObserver;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Handlers that wait (for the store, for the deploy lock, for the disk) must not hold a gRPC
 * transport thread: a container's heartbeats arrive on the same connection as its own calls, and a
 * connection whose thread is stuck is not read, so a healthy container would be declared silent.
 *
 * <p>A real control plane with a durable store whose writes hang until the test lets them go (a
 * stuck fsync), and a container connected over the real container socket with the SDK's channel,
 * heartbeating as the SDK's worker does.
 */
class TransportThreadsTest {
  private static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(1);

  @TempDir Path dataDir;

  private final FakeBackend backend = new FakeBackend();
  private final StuckStore store = new StuckStore(new InMemoryStore());
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor();
  private ControlPlane plane;

  @AfterEach
  void tearDown() throws InterruptedException {
    store.release();
    heartbeats.shutdownNow();
    for (ManagedChannel c : channels) {
      c.shutdownNow();
      c.awaitTermination(5, TimeUnit.SECONDS);
    }
    if (plane != null) {
      plane.close();
    }
  }

  @Test
  void aContainerWaitingForTheDeployLockIsStillHeardFrom() throws Exception {
    plane = start();
    Busy busy = busyContainer();

    // A deploy takes the deploy lock and its store write hangs, as an fsync on a slow disk does.
    ListenableFuture<DeployAppResponse> deploy =
        client()
            .deployApp(
                DeployAppRequest.newBuilder()
                    .setApp(CreateAppRequest.newBuilder().setAppName("other"))
                    .build());
    assertThat(store.writing.await(10, TimeUnit.SECONDS)).isTrue();
    // The function calls the deployed app by name on its own connection, meanwhile.
    ListenableFuture<Result> crossApp =
        ClientApiGrpc.newFutureStub(busy.channel)
            .call(
                CallRequest.newBuilder()
                    .setFunction(FunctionRef.newBuilder().setAppName("other").setFunctionName("g"))
                    .build());

    busy.staysHealthy();
    store.release();
    assertThat(deploy.get(10, TimeUnit.SECONDS).getAppId()).isNotEmpty();
    assertThat(crossApp).failsWithin(Duration.ofSeconds(10));
    busy.finishes();
  }

  @Test
  void aContainerWaitingForAStoreReadIsStillHeardFrom() throws Exception {
    plane = start();
    Busy busy = busyContainer();

    // The function cancels a call the server does not know: the server looks in the store, whose
    // reads hang.
    ListenableFuture<CancelResponse> cancel =
        ClientApiGrpc.newFutureStub(busy.channel)
            .cancel(CancelRequest.newBuilder().setCallId("fc-aaaaaaaaaaaaaaaa").build());
    assertThat(store.reading.await(10, TimeUnit.SECONDS)).isTrue();

    busy.staysHealthy();
    store.release();
    assertThat(cancel).failsWithin(Duration.ofSeconds(10));
    busy.finishes();
  }

  /** A container connected as the SDK's worker connects, heartbeating, running one input. */
  private record Busy(
      FakeBackend.Puppet puppet,
      ManagedChannel channel,
      StreamObserver<ContainerMessage> up,
      RecordingObserver<ControlMessage> down,
      ListenableFuture<Result> result) {

    /** Its heartbeats keep it alive for three heartbeat timeouts; its input keeps running. */
    void staysHealthy() {
      await()
          .during(HEARTBEAT_TIMEOUT.multipliedBy(3))
          .atMost(HEARTBEAT_TIMEOUT.multipliedBy(5))
          .untilAsserted(
              () -> {
                assertThat(puppet.killed || puppet.stopAsked)
                    .as("the container was told to go")
                    .isFalse();
                assertThat(result.isDone()).as("its input ended early").isFalse();
              });
    }

    /** It answers its input, and the caller gets that answer. */
    void finishes() throws Exception {
      Assignment a = assignment(down).orElseThrow();
      send(
          up,
          ContainerMessage.newBuilder()
              .setOutputs(
                  OutputBatch.newBuilder()
                      .addOutputs(
                          Output.newBuilder()
                              .setInputId(a.getInputId())
                              .setAttempt(a.getAttempt())
                              .setResult(
                                  Result.newBuilder().setValue(ByteString.copyFromUtf8("ok")))))
              .build());
      assertThat(result.get(10, TimeUnit.SECONDS).getValue().toStringUtf8()).isEqualTo("ok");
      assertThat(puppet.killed).isFalse();
    }
  }

  private Busy busyContainer() throws Exception {
    ClientApiGrpc.ClientApiFutureStub client = client();
    String app =
        client
            .createApp(
                CreateAppRequest.newBuilder()
                    .setAppName("busy")
                    .addClasspath("/app.jar")
                    .addFunctions(
                        FunctionDef.newBuilder()
                            .setName("f")
                            .setClassName("com.example.Hello")
                            .setMethodName("f")
                            .setConcurrentInputs(1)
                            .setMaxContainers(1))
                    .build())
            .get(10, TimeUnit.SECONDS)
            .getAppId();
    ListenableFuture<Result> result =
        client.call(
            CallRequest.newBuilder()
                .setFunction(FunctionRef.newBuilder().setAppId(app).setFunctionName("f"))
                .setArgs(ByteString.copyFromUtf8("x"))
                .build());
    await().atMost(Duration.ofSeconds(10)).until(() -> !backend.started.isEmpty());
    FakeBackend.Puppet puppet = backend.started.get(0);
    ManagedChannel containerChannel =
        SkiffClient.channel(puppet.env("SKIFF_SERVER"), puppet.env("SKIFF_TOKEN"));
    channels.add(containerChannel);
    RecordingObserver<ControlMessage> down = new RecordingObserver<>();
    StreamObserver<ContainerMessage> up = ContainerApiGrpc.newStub(containerChannel).connect(down);
    send(
        up,
        ContainerMessage.newBuilder()
            .setHello(
                ContainerHello.newBuilder()
                    .setContainerId(puppet.spec.containerId())
                    .setToken(puppet.env("SKIFF_TOKEN")))
            .build());
    send(up, ContainerMessage.newBuilder().setReady(Ready.getDefaultInstance()).build());
    ContainerMessage beat =
        ContainerMessage.newBuilder()
            .setHeartbeat(Heartbeat.newBuilder().setRunningInputs(1))
            .build();
    heartbeats.scheduleAtFixedRate(() -> send(up, beat), 0, 100, TimeUnit.MILLISECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> assignment(down).isPresent());
    return new Busy(puppet, containerChannel, up, down, result);
  }

  private ClientApiGrpc.ClientApiFutureStub client() {
    return ClientApiGrpc.newFutureStub(channel());
  }

  private static Optional<Assignment> assignment(RecordingObserver<ControlMessage> down) {
    return down.values.stream()
        .filter(ControlMessage::hasAssignments)
        .flatMap(m -> m.getAssignments().getAssignmentsList().stream())
        .findFirst();
  }

  private static void send(StreamObserver<ContainerMessage> up, ContainerMessage m) {
    synchronized (up) { // a stream observer is not thread-safe
      up.onNext(m);
    }
  }

  private ControlPlane start() {
    InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    return ControlPlane.start(
        new ControlPlaneConfig(
            4,
            Duration.ofSeconds(60),
            Duration.ofSeconds(300),
            HEARTBEAT_TIMEOUT,
            Duration.ofMillis(200),
            Duration.ofMillis(200),
            Duration.ofMillis(100),
            3,
            Duration.ofSeconds(30),
            0,
            dataDir),
        backend,
        Clock.systemUTC(),
        new ControlPlane.Listen(
            loopback,
            loopback,
            Optional.empty(),
            store,
            true,
            Duration.ofDays(1),
            Optional.empty(),
            Optional.empty(),
            ServerLimits.defaults()));
  }

  private ManagedChannel channel() {
    Metadata headers = new Metadata();
    headers.put(TokenInterceptor.AUTHORIZATION, "Bearer " + plane.token());
    ManagedChannel c =
        NettyChannelBuilder.forTarget(plane.target())
            .usePlaintext()
            .intercept(MetadataUtils.newAttachHeadersInterceptor(headers))
            .build();
    channels.add(c);
    return c;
  }

  /**
   * A store whose deployment writes and call reads hang until {@link #release()}, as on a stuck
   * disk.
   */
  private static final class StuckStore implements Store {
    final CountDownLatch writing = new CountDownLatch(1);
    final CountDownLatch reading = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);
    private final Store delegate;

    StuckStore(Store delegate) {
      this.delegate = delegate;
    }

    void release() {
      released.countDown();
    }

    private void hang() {
      try {
        released.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public CallStore calls() {
      CallStore c = delegate.calls();
      return new CallStore() {
        @Override
        public CompletableFuture<Void> add(StoredCall call) {
          return c.add(call);
        }

        @Override
        public CompletableFuture<Void> finish(String id, byte[] result, Instant at) {
          return c.finish(id, result, at);
        }

        @Override
        public Optional<StoredCall> find(String id) {
          reading.countDown();
          hang();
          return c.find(id);
        }

        @Override
        public List<StoredCall> unfinished() {
          return c.unfinished();
        }

        @Override
        public int sweep(Instant before) {
          return c.sweep(before);
        }
      };
    }

    @Override
    public DeploymentStore deployments() {
      DeploymentStore d = delegate.deployments();
      return new DeploymentStore() {
        @Override
        public CompletableFuture<Void> save(StoredApp app) {
          writing.countDown();
          return CompletableFuture.runAsync(StuckStore.this::hang)
              .thenCompose(ignored -> d.save(app));
        }

        @Override
        public CompletableFuture<Void> delete(String name) {
          return d.delete(name);
        }

        @Override
        public CompletableFuture<Void> saveAutoscaler(
            String appName, long version, String function, byte[] settings) {
          return d.saveAutoscaler(appName, version, function, settings);
        }

        @Override
        public Map<String, byte[]> autoscalers(String appName, long version) {
          return d.autoscalers(appName, version);
        }

        @Override
        public List<StoredApp> all() {
          return d.all();
        }
      };
    }

    @Override
    public RunStore runs() {
      return delegate.runs();
    }

    @Override
    public LogStore logs() {
      return delegate.logs();
    }

    @Override
    public TokenStore tokens() {
      return delegate.tokens();
    }

    @Override
    public void close() {
      release();
      delegate.close();
    }
  }
}
