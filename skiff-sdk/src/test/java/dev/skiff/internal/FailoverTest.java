package dev.skiff.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.skiff.FunctionCall;
import dev.skiff.SkiffException;
import dev.skiff.proto.AppSummary;
import dev.skiff.proto.CallRequest;
import dev.skiff.proto.ClientApiGrpc;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.GetResultRequest;
import dev.skiff.proto.GetResultResponse;
import dev.skiff.proto.ListAppsRequest;
import dev.skiff.proto.ListAppsResponse;
import dev.skiff.proto.Result;
import dev.skiff.proto.SpawnResponse;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client of a server with several replicas fails over between them: real gRPC servers on
 * loopback, each a fake client API that answers, refuses or holds calls as a test tells it.
 */
class FailoverTest {
  private final List<Server> servers = new ArrayList<>();
  private final List<SkiffClient> clients = new ArrayList<>();

  @AfterEach
  void close() throws InterruptedException {
    clients.forEach(SkiffClient::close);
    for (Server s : servers) {
      s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** A replica: answers ListApps with its name, after failing the first {@code failures} tries. */
  private static class Replica extends ClientApiGrpc.ClientApiImplBase {
    final String name;
    final AtomicInteger failures;
    final AtomicInteger listCalls = new AtomicInteger();
    final List<String> spawnedIds = new CopyOnWriteArrayList<>();
    final List<StreamObserver<GetResultResponse>> heldPolls = new CopyOnWriteArrayList<>();
    volatile boolean holdPolls;

    Replica(String name, int failures) {
      this.name = name;
      this.failures = new AtomicInteger(failures);
    }

    private boolean fail(StreamObserver<?> out) {
      if (failures.getAndDecrement() > 0) {
        out.onError(
            Status.UNAVAILABLE.withDescription(name + " is taking the app over").asException());
        return true;
      }
      return false;
    }

    @Override
    public void listApps(ListAppsRequest request, StreamObserver<ListAppsResponse> out) {
      listCalls.incrementAndGet();
      if (fail(out)) {
        return;
      }
      out.onNext(
          ListAppsResponse.newBuilder().addApps(AppSummary.newBuilder().setAppName(name)).build());
      out.onCompleted();
    }

    @Override
    public void spawn(CallRequest request, StreamObserver<SpawnResponse> out) {
      spawnedIds.add(request.getCallId());
      if (fail(out)) {
        return;
      }
      out.onNext(SpawnResponse.newBuilder().setCallId(request.getCallId()).build());
      out.onCompleted();
    }

    @Override
    public void getResult(GetResultRequest request, StreamObserver<GetResultResponse> out) {
      if (holdPolls) {
        heldPolls.add(out); // never answered: this replica dies with the poll open
        return;
      }
      out.onNext(
          GetResultResponse.newBuilder()
              .setDone(true)
              .setResult(
                  Result.newBuilder()
                      .setValue(
                          ByteString.copyFrom(
                              PayloadCodec.forType(String.class).encode("from " + name, "x"))))
              .setFunction(FunctionDef.newBuilder().setName("f").setClassName("no.such.App"))
              .build());
      out.onCompleted();
    }
  }

  private String serve(Replica replica) throws IOException {
    Server s =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .addService(replica)
            .build()
            .start();
    servers.add(s);
    return "127.0.0.1:" + s.getPort();
  }

  private Server serverOf(String address) {
    int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    return servers.stream().filter(s -> s.getPort() == port).findFirst().orElseThrow();
  }

  /** A loopback address where nothing listens (connections are refused). */
  private static String closedAddress() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return "127.0.0.1:" + s.getLocalPort();
    }
  }

  private SkiffClient connect(String target) {
    SkiffClient c = SkiffClient.connect(target, "token");
    clients.add(c);
    return c;
  }

  private static String firstApp(SkiffClient c) {
    return c.blocking().listApps(ListAppsRequest.getDefaultInstance()).getApps(0).getAppName();
  }

  @Test
  void aReplicaThatRefusesConnectionsIsSkippedForTheNext() throws IOException {
    String target = closedAddress() + "," + serve(new Replica("second", 0));

    assertThat(firstApp(connect(target))).isEqualTo("second");
  }

  @Test
  void aCallAnsweredUnavailableIsRetriedUntilItSucceeds() throws IOException {
    Replica replica = new Replica("only-live", 2);
    String target = closedAddress() + "," + serve(replica);

    assertThat(firstApp(connect(target))).isEqualTo("only-live");
    assertThat(replica.listCalls).hasValue(3);
  }

  @Test
  void aRetriedSpawnSendsTheSameCallIdAgain() throws IOException {
    Replica replica = new Replica("spawner", 1);
    SkiffClient client = connect(closedAddress() + "," + serve(replica));
    FunctionDef def =
        FunctionDef.newBuilder()
            .setName("f")
            .setClassName("no.such.App")
            .setMethodName("f")
            .setMethodDescriptor("(Ljava/lang/String;)Ljava/lang/String;")
            .build();
    Invoker<String> invoker =
        new Invoker<>(
            FunctionSpec.remote("app", def, String.class),
            () -> new AppBinding("app", "app-1", client, false, true));

    FunctionCall<String> call = invoker.spawn("x");

    assertThat(replica.spawnedIds).hasSize(2);
    assertThat(replica.spawnedIds.get(0))
        .matches("fc-[A-Za-z0-9_-]{16,64}")
        .isEqualTo(replica.spawnedIds.get(1))
        .isEqualTo(call.id());
    assertThat(invoker.spawn("y").id()).isNotEqualTo(call.id());
  }

  @Test
  void aResultWaitSurvivesItsReplicaDyingAndIsAnsweredByAnother() throws Exception {
    Replica dying = new Replica("dying", 0);
    dying.holdPolls = true;
    String first = serve(dying);
    String target = first + "," + serve(new Replica("taker", 0));
    SpawnedCall<String> call = new SpawnedCall<>("fc-0123456789abcdef", connect(target), null);

    CompletableFuture<String> result =
        CompletableFuture.supplyAsync(() -> call.get(Duration.ofMinutes(1)));
    await().atMost(Duration.ofSeconds(30)).until(() -> !dying.heldPolls.isEmpty());
    serverOf(first).shutdownNow();

    assertThat(result.get(30, TimeUnit.SECONDS)).isEqualTo("from taker");
  }

  @Test
  void givingUpNamesEveryAddressAndTheLastError() throws IOException {
    Replica replica = new Replica("stuck", Integer.MAX_VALUE);
    String target = closedAddress() + "," + serve(replica);
    SkiffClient client =
        SkiffClient.over(
            target,
            SkiffClient.channel(target, "token", ServerTrust.plaintext(), Duration.ofMillis(500)));
    clients.add(client);

    assertThatThrownBy(
            () -> {
              try {
                firstApp(client);
              } catch (RuntimeException e) {
                throw client.translate(e);
              }
            })
        .isInstanceOf(SkiffException.class)
        .hasMessageContaining("gave up after")
        .hasMessageContaining(target.replace(",", ", "))
        .hasMessageContaining("stuck is taking the app over")
        .hasMessageContaining(UnavailableRetry.BUDGET_VARIABLE);
    assertThat(replica.listCalls.get()).isGreaterThan(1);
  }

  @Test
  void aCallCancelledBetweenTriesEndsCancelled() throws Exception {
    Replica replica = new Replica("stuck", Integer.MAX_VALUE);
    SkiffClient client = connect(closedAddress() + "," + serve(replica));
    CompletableFuture<Status> closed = new CompletableFuture<>();
    AtomicReference<ClientCallStreamObserver<ListAppsRequest>> call = new AtomicReference<>();
    client
        .async()
        .listApps(
            ListAppsRequest.getDefaultInstance(),
            new ClientResponseObserver<ListAppsRequest, ListAppsResponse>() {
              @Override
              public void beforeStart(ClientCallStreamObserver<ListAppsRequest> requests) {
                call.set(requests);
              }

              @Override
              public void onNext(ListAppsResponse value) {
                closed.complete(Status.OK);
              }

              @Override
              public void onError(Throwable t) {
                closed.complete(Status.fromThrowable(t));
              }

              @Override
              public void onCompleted() {
                closed.complete(Status.OK);
              }
            });
    await().atMost(Duration.ofSeconds(30)).until(() -> replica.listCalls.get() >= 2);

    call.get().cancel("the caller gave up", null);

    assertThat(closed.get(30, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.CANCELLED);
  }

  @Test
  void oneAddressIsNotRetried() throws IOException {
    Replica replica = new Replica("single", 1);
    SkiffClient client = connect(serve(replica));

    assertThatThrownBy(() -> firstApp(client)).hasMessageContaining("single is taking");
    assertThat(replica.listCalls).hasValue(1);
  }

  @Test
  void eachReplicaMayPresentItsOwnPinnedCertificate(@TempDir Path dir) throws Exception {
    SelfSigned one = SelfSigned.generate(dir, "one");
    SelfSigned two = SelfSigned.generate(dir, "two");
    SelfSigned stranger = SelfSigned.generate(dir, "stranger");
    String first = serveTls(new Replica("one", 0), one);
    String second = serveTls(new Replica("two", 0), two);
    String target = first + "," + second;
    Path config = dir.resolve("config.json");
    Files.writeString(
        config,
        "{\"server\": \""
            + target
            + "\", \"token\": \"t\", \"certificates\": ["
            + quoted(one.pem())
            + ", "
            + quoted(two.pem())
            + "]}");
    SkiffClient client = SkiffClient.connect(ClientConfig.resolve(Map.of(), config).orElseThrow());
    clients.add(client);

    assertThat(firstApp(client)).isEqualTo("one");
    serverOf(first).shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    assertThat(firstApp(client)).isEqualTo("two");

    // A replica with a certificate pinned for none of them is sent nothing, and not retried.
    String impostor = serveTls(new Replica("impostor", 0), stranger);
    Files.writeString(
        config,
        "{\"server\": \""
            + impostor
            + ","
            + second
            + "\", \"token\": \"t\", \"certificates\": ["
            + quoted(one.pem())
            + "]}");
    SkiffClient pinnedToOne =
        SkiffClient.connect(ClientConfig.resolve(Map.of(), config).orElseThrow());
    clients.add(pinnedToOne);
    assertThatThrownBy(
            () -> {
              try {
                firstApp(pinnedToOne);
              } catch (RuntimeException e) {
                throw pinnedToOne.translate(e);
              }
            })
        .hasMessageContaining("is not trusted, so it was sent nothing");
  }

  @Test
  void withCertificateAuthoritiesEachReplicaIsCheckedForItsOwnHostName(@TempDir Path dir)
      throws Exception {
    SelfSigned byIp = SelfSigned.generate(dir, "by-ip", "ip:127.0.0.1");
    SelfSigned byName = SelfSigned.generate(dir, "by-name", "dns:localhost");
    String first = serveTls(new Replica("by-ip", 0), byIp);
    String second = serveTls(new Replica("by-name", 0), byName);
    Path cas = dir.resolve("cas.pem");
    Files.writeString(cas, byIp.pem() + byName.pem());
    String target = first + ",localhost:" + serverOf(second).getPort();
    SkiffClient client =
        SkiffClient.connect(
            target, "t", new ServerTrust.Authorities(Optional.of(cas), "SKIFF_TLS_CA=" + cas));
    clients.add(client);

    assertThat(firstApp(client)).isEqualTo("by-ip");
    serverOf(first).shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    // Checked as localhost, its own name: the first replica's (127.0.0.1) would not match.
    assertThat(firstApp(client)).isEqualTo("by-name");
  }

  private static String quoted(String pem) {
    return "\"" + pem.replace("\n", "\\n") + "\"";
  }

  private String serveTls(Replica replica, SelfSigned cert) throws IOException {
    Server s =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .sslContext(
                GrpcSslContexts.configure(
                        SslContextBuilder.forServer(cert.keyManagers()), SslProvider.JDK)
                    .build())
            .addService(replica)
            .build()
            .start();
    servers.add(s);
    return "127.0.0.1:" + s.getPort();
  }

  /** A self-signed certificate for 127.0.0.1, made with the JDK's keytool as an operator would. */
  private record SelfSigned(KeyStore keyStore) {
    static SelfSigned generate(Path dir, String cn) throws Exception {
      return generate(dir, cn, "ip:127.0.0.1");
    }

    static SelfSigned generate(Path dir, String cn, String san) throws Exception {
      Path p12 = dir.resolve(cn + ".p12");
      Process p =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                  "-genkeypair",
                  "-alias",
                  "server",
                  "-keyalg",
                  "EC",
                  "-groupname",
                  "secp256r1",
                  "-validity",
                  "30",
                  "-dname",
                  "CN=" + cn,
                  "-ext",
                  "san=" + san,
                  "-keystore",
                  p12.toString(),
                  "-storetype",
                  "PKCS12",
                  "-storepass",
                  "changeit")
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as(out).isTrue();
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(p12)) {
        ks.load(in, "changeit".toCharArray());
      }
      return new SelfSigned(ks);
    }

    String pem() throws Exception {
      return "-----BEGIN CERTIFICATE-----\n"
          + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
              .encodeToString(keyStore.getCertificate("server").getEncoded())
          + "\n-----END CERTIFICATE-----\n";
    }

    KeyManagerFactory keyManagers() {
      try {
        KeyManagerFactory f =
            KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        f.init(keyStore, "changeit".toCharArray());
        return f;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
