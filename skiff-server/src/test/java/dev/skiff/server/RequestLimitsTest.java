package dev.skiff.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.skiff.internal.SkiffClient;
import dev.skiff.internal.spi.EmbeddedConfig;
import dev.skiff.proto.BlobApiGrpc;
import dev.skiff.proto.BlobChunk;
import dev.skiff.proto.BlobRef;
import dev.skiff.proto.ClientApiGrpc;
import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.FunctionDef;
import dev.skiff.server.auth.TokenInterceptor;
import dev.skiff.server.runtime.ControlPlaneConfig;
import dev.skiff.server.store.InMemoryStore;
import dev.skiff.server.testing.FakeBackend;
import dev.skiff.server.testing.RecordingObserver;
import dev.skiff.server.web.WebLimits;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The bounds on what a caller sends, against a real control plane on loopback: a message past the
 * limit and blobs past their size or quota are refused with RESOURCE_EXHAUSTED naming the limit and
 * the option that raises it.
 */
class RequestLimitsTest {
  private static final int MIB = 1024 * 1024;

  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : open.reversed()) {
      c.close();
    }
  }

  /** An embedded control plane, with the default limits. */
  private ControlPlane start() {
    ControlPlane plane =
        ControlPlane.start(
            ControlPlaneConfig.from(EmbeddedConfig.defaults()).withMaxWarmContainers(0),
            new FakeBackend(),
            Clock.systemUTC());
    open.add(plane);
    return plane;
  }

  private ControlPlane start(ServerLimits limits) {
    ControlPlane plane =
        ControlPlane.start(
            ControlPlaneConfig.from(EmbeddedConfig.defaults()).withMaxWarmContainers(0),
            new FakeBackend(),
            Clock.systemUTC(),
            new ControlPlane.Listen(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                Optional.empty(),
                new InMemoryStore(),
                false,
                Duration.ofDays(1),
                Optional.empty(),
                Optional.empty(),
                limits));
    open.add(plane);
    return plane;
  }

  private ManagedChannel channel(ControlPlane plane) {
    Metadata headers = new Metadata();
    headers.put(TokenInterceptor.AUTHORIZATION, "Bearer " + plane.token());
    ManagedChannel c =
        NettyChannelBuilder.forTarget(plane.target())
            .usePlaintext()
            .maxInboundMessageSize(512 * MIB)
            .intercept(MetadataUtils.newAttachHeadersInterceptor(headers))
            .build();
    open.add(
        () -> {
          c.shutdownNow();
          c.awaitTermination(5, TimeUnit.SECONDS);
        });
    return c;
  }

  private static String createApp(ManagedChannel c) {
    return ClientApiGrpc.newBlockingStub(c)
        .createApp(
            CreateAppRequest.newBuilder()
                .setAppName("limits")
                .addClasspath("/app.jar")
                .addFunctions(
                    FunctionDef.newBuilder()
                        .setName("f")
                        .setClassName("C")
                        .setMethodName("f")
                        .setMaxContainers(1))
                .build())
        .getAppId();
  }

  /** Uploads one blob of {@code bytes} bytes in 1 MiB chunks; its ref, or the failure. */
  private static RecordingObserver<BlobRef> putBlob(ManagedChannel c, String appId, int bytes) {
    RecordingObserver<BlobRef> done = new RecordingObserver<>();
    StreamObserver<BlobChunk> up = BlobApiGrpc.newStub(c).putBlob(done);
    for (int off = 0; off < bytes; off += MIB) {
      up.onNext(
          BlobChunk.newBuilder()
              .setAppId(appId)
              .setData(ByteString.copyFrom(new byte[Math.min(MIB, bytes - off)]))
              .build());
    }
    up.onCompleted();
    await().atMost(Duration.ofSeconds(30)).until(() -> done.completed || done.error != null);
    return done;
  }

  @Test
  void aMessagePastTheLimitIsRefusedNamingTheLimitAndItsOption() {
    ControlPlane plane = start();
    ManagedChannel c = channel(plane);
    CreateAppRequest huge =
        CreateAppRequest.newBuilder()
            .setAppName("limits")
            .addClasspath("x".repeat(64 * MIB + 1)) // the default limit: 64 MiB
            .build();

    Throwable refused = catchThrowable(() -> ClientApiGrpc.newBlockingStub(c).createApp(huge));

    Status status = Status.fromThrowable(refused);
    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(status.getDescription()).contains("exceeds maximum size 67108864");
    // A message under the limit still goes through.
    assertThat(createApp(c)).startsWith("ap-");
    try (SkiffClient client = SkiffClient.over(plane.target(), c)) {
      assertThat(client.translate(refused))
          .hasMessageContaining("refused a request past one of its limits")
          .hasMessageContaining("--max-message-mib");
    }
  }

  @Test
  void blobsPastTheirSizeOrTheQuotaAreRefusedNamingTheOption() {
    ControlPlane plane =
        start(
            new ServerLimits(
                64, 2, 3, 0, 0, ServerLimits.DEFAULT_LOG_LINES_PER_SECOND, WebLimits.defaults()));
    ManagedChannel c = channel(plane);
    String app = createApp(c);

    Status tooBig = Status.fromThrowable(putBlob(c, app, 3 * MIB).error);
    assertThat(tooBig.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(tooBig.getDescription())
        .contains("a blob may hold at most " + (2 * MIB + 64 * 1024) + " bytes")
        .contains("--max-blob-mib");

    assertThat(putBlob(c, app, 2 * MIB).error).isNull();

    Status overQuota = Status.fromThrowable(putBlob(c, app, 2 * MIB).error);
    assertThat(overQuota.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(overQuota.getDescription())
        .contains("quota of " + 3 * MIB + " bytes")
        .contains("--blob-quota-mib");
    // What fits still does.
    assertThat(putBlob(c, app, MIB / 2).error).isNull();
  }
}
