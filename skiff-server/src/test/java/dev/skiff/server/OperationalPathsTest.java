package dev.skiff.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.internal.spi.EmbeddedConfig;
import dev.skiff.proto.ClientApiGrpc;
import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.WebEndpointDef;
import dev.skiff.server.auth.TokenInterceptor;
import dev.skiff.server.runtime.ControlPlaneConfig;
import dev.skiff.server.store.CallStore;
import dev.skiff.server.store.DeploymentStore;
import dev.skiff.server.store.InMemoryStore;
import dev.skiff.server.store.LogStore;
import dev.skiff.server.store.RunStore;
import dev.skiff.server.store.Store;
import dev.skiff.server.store.TokenStore;
import dev.skiff.server.testing.FakeBackend;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The web gateway's operational paths on a real control plane: {@code /healthz}, {@code /readyz} as
 * the store answers, fails or hangs, and {@code /metrics} next to an app named {@code metrics}.
 */
class OperationalPathsTest {
  /** A store in memory whose trivial query can be made to fail or hang. */
  private static final class FlakyStore implements Store {
    private final InMemoryStore memory = new InMemoryStore();
    final AtomicInteger checks = new AtomicInteger();
    volatile Optional<RuntimeException> failure = Optional.empty();
    volatile boolean hang;
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    public CallStore calls() {
      return memory.calls();
    }

    @Override
    public DeploymentStore deployments() {
      return memory.deployments();
    }

    @Override
    public RunStore runs() {
      return memory.runs();
    }

    @Override
    public LogStore logs() {
      return memory.logs();
    }

    @Override
    public TokenStore tokens() {
      return memory.tokens();
    }

    @Override
    public void check() {
      checks.incrementAndGet();
      if (hang) {
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      failure.ifPresent(
          e -> {
            throw e;
          });
    }

    @Override
    public void close() {
      release.countDown();
      memory.close();
    }
  }

  private final FlakyStore store = new FlakyStore();
  private final InetSocketAddress loopback =
      new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
  private final ControlPlane plane =
      ControlPlane.start(
          ControlPlaneConfig.from(EmbeddedConfig.defaults()).withMaxWarmContainers(0),
          new FakeBackend(),
          Clock.systemUTC(),
          new ControlPlane.Listen(
              loopback,
              loopback,
              Optional.empty(),
              store,
              false,
              Duration.ofDays(1),
              Optional.empty(),
              Optional.empty(),
              ServerLimits.defaults()));
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void tearDown() {
    http.close();
    plane.close();
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(plane.webBaseUrl() + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(30))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theDashboardIsServedOnlyOnceAskedFor() throws Exception {
    assertThat(send("GET", "/").statusCode()).isEqualTo(404);
    assertThat(send("GET", "/_skiff/ui/").statusCode()).isEqualTo(404);

    assertThat(plane.openDashboard()).contains(plane.webBaseUrl() + "/_skiff/ui/");

    HttpResponse<String> root = send("GET", "/");
    assertThat(root.statusCode()).isEqualTo(303);
    assertThat(root.headers().firstValue("Location")).contains("/_skiff/ui/");
    assertThat(send("GET", "/_skiff/ui/").headers().firstValue("Location"))
        .contains("/_skiff/ui/login");
    assertThat(send("GET", "/_skiff/ui/login").body()).contains("Client token");
  }

  @Test
  void readinessFollowsTheStoresTrivialQuery() throws Exception {
    assertThat(send("GET", "/healthz").body()).isEqualTo("ok\n");
    HttpResponse<String> ready = send("GET", "/readyz");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).isEqualTo("ready\n");

    store.failure = Optional.of(new IllegalStateException("connection refused"));
    HttpResponse<String> failed = send("GET", "/readyz");
    assertThat(failed.statusCode()).isEqualTo(503);
    assertThat(failed.body())
        .isEqualTo("not ready: the store could not answer a trivial query: connection refused\n");
    assertThat(failed.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
    assertThat(send("GET", "/healthz").statusCode()).isEqualTo(200);
  }

  @Test
  void aStoreThatHangsFailsReadinessWithinTheDeadlineAndHoldsOneCheck() throws Exception {
    store.hang = true;
    for (int i = 0; i < 2; i++) {
      HttpResponse<String> r = send("GET", "/readyz");
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.body())
          .isEqualTo("not ready: the store did not answer a trivial query within 2000 ms\n");
    }
    assertThat(store.checks).hasValue(1); // the second probe waited on the first's query
    store.hang = false;
    store.release.countDown();
    assertThat(send("GET", "/readyz").statusCode()).isEqualTo(200);
  }

  @Test
  void anAppNamedMetricsNeitherShadowsNorIsShadowedByTheGatewaysPaths() throws Exception {
    Metadata headers = new Metadata();
    headers.put(TokenInterceptor.AUTHORIZATION, "Bearer " + plane.token());
    ManagedChannel channel =
        NettyChannelBuilder.forTarget(plane.target())
            .usePlaintext()
            .intercept(MetadataUtils.newAttachHeadersInterceptor(headers))
            .build();
    try {
      ClientApiGrpc.newBlockingStub(channel)
          .createApp(
              CreateAppRequest.newBuilder()
                  .setAppName("metrics")
                  .addClasspath("/app.jar")
                  .addFunctions(
                      FunctionDef.newBuilder()
                          .setName("page")
                          .setClassName("com.example.Page")
                          .setMethodName("page")
                          .setWebEndpoint(
                              WebEndpointDef.newBuilder().setLabel("page").setMethod("GET")))
                  .build());
    } finally {
      channel.shutdownNow();
    }
    HttpResponse<String> scraped = send("GET", "/metrics");
    assertThat(scraped.statusCode()).isEqualTo(200);
    assertThat(scraped.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("text/plain; version=0.0.4"));
    assertThat(scraped.body())
        .contains("skiff_inputs_started_total{app=\"metrics\",function=\"page\"} 0.0");
    // The app's endpoint is routed (refused by its method before any container is involved).
    HttpResponse<String> routed = send("POST", "/metrics/page");
    assertThat(routed.statusCode()).isEqualTo(405);
    assertThat(routed.body()).contains("web endpoint /metrics/page takes GET requests");
    HttpResponse<String> posted = send("POST", "/metrics");
    assertThat(posted.statusCode()).isEqualTo(405);
    assertThat(posted.headers().firstValue("Allow")).hasValue("GET");
    assertThat(send("GET", "/metrics").body())
        .contains("skiff_web_requests_total{status=\"405\"} 2.0")
        .contains("skiff_web_requests_total{status=\"200\"} 1.0");
  }
}
