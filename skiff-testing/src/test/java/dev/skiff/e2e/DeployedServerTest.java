package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skiff.DeployedApp;
import dev.skiff.FunctionCall;
import dev.skiff.NotFoundException;
import dev.skiff.RemoteFunction;
import dev.skiff.SkiffException;
import dev.skiff.internal.ClientConfig;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.AppHistory;
import dev.skiff.proto.AppHistoryRequest;
import dev.skiff.proto.AppState;
import dev.skiff.proto.AppStatusRequest;
import dev.skiff.proto.AppSummary;
import dev.skiff.proto.ListAppsRequest;
import dev.skiff.proto.ScheduledRun;
import dev.skiff.testing.ServerProcess;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The long-running server as a child JVM: deploy, lookups from new JVMs, durable spawns across a
 * kill -9 and restart, redeploys and schedules of deployed apps.
 *
 * <p>The tests share one server process (starting one takes seconds) but not their effects: each
 * deploys what it uses itself, asserts only on what it did (a version one more than the one before
 * it, runs of its own deployment), and a test that kills the server restarts it before it ends, so
 * the tests pass alone and in any order. The methods run in random order to keep it so (JUnit logs
 * the seed at level CONFIG; {@code -Djunit.jupiter.execution.order.random.seed=N} replays an
 * order).
 */
@Tag("e2e")
@TestMethodOrder(MethodOrderer.Random.class)
class DeployedServerTest {
  private static ServerProcess server;
  private static ClientConfig config;

  @BeforeAll
  static void startServer() {
    server = ServerProcess.start();
    config = server.clientConfig();
    server.useInThisJvm();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  /** A test that kills the server restarts it; if it failed before that, the next test gets one. */
  @AfterEach
  void serverRunsForTheNextTest() {
    if (ProcessHandle.of(server.pid()).filter(ProcessHandle::isAlive).isEmpty()) {
      server.restart();
    }
  }

  private static SkiffClient client() {
    return SkiffClient.connect(config.server(), config.token(), config.trust());
  }

  @Test
  void firstStartWritesAPrivateClientConfigAndRefusesWrongOrMissingTokens() throws Exception {
    Path file = server.home().resolve("config.json");
    ClientConfig config = ClientConfig.read(file).orElseThrow();
    assertThat(config.server()).isEqualTo(server.target());
    assertThat(Files.getPosixFilePermissions(file))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    try (SkiffClient wrong =
        SkiffClient.connect(config.server(), "not-the-token", config.trust())) {
      assertRefused(wrong);
    }
    ManagedChannel bare =
        NettyChannelBuilder.forTarget(config.server())
            .sslContext(config.trust().grpcContext().orElseThrow())
            .build();
    try (SkiffClient none = SkiffClient.over(config.server(), bare)) {
      assertRefused(none);
    }
  }

  /** A call through {@code client} is refused for its token, with a message that says so. */
  private static void assertRefused(SkiffClient client) {
    assertThatThrownBy(
            () -> {
              try {
                client.blocking().listApps(ListAppsRequest.getDefaultInstance());
              } catch (RuntimeException e) {
                throw client.translate(e);
              }
            })
        .isInstanceOf(SkiffException.class)
        .hasMessageContaining("refused this client");
  }

  @Test
  void deployedFunctionsAreCalledByNameFromAnotherJvm() {
    long before;
    try (SkiffClient c = client()) {
      before = deployedVersion(c, "durable");
    }
    DeployedApp deployed = DeployedFns.app.deploy();
    assertThat(deployed.version()).isEqualTo(before + 1);
    assertThat(deployed.functionNames()).contains("square", "record", "countTo", "tick", "greet");
    assertThat(DeployedFns.greet.webUrl())
        .isEqualTo(deployed.webUrls().get("greet"))
        .isEqualTo(server.webBaseUrl() + "/durable/greet");
    assertThat(get(DeployedFns.greet.webUrl() + "?name=web")).isEqualTo("\"Hello, web!\"");

    String out = server.runJava(Duration.ofMinutes(2), ServerClients.class.getName(), "lookup");

    assertThat(out)
        .contains("remote=49", "map=1,4,9", "spawn=81", "async=16", "gen=0,1,2,3")
        .contains("skiff: using the server at " + server.target());
  }

  @Test
  void theServersContainersStartWithItsContainerJvmOptions() {
    DeployedFns.app.deploy();
    // ServerProcess starts servers with --container-jvm-options -XX:TieredStopAtLevel=1.
    assertThat(RemoteFunction.fromName("durable", "jvmArguments", String.class).remote())
        .contains("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
  }

  @Test
  void unknownAppsAndFunctionsAreNamed() {
    DeployedFns.app.deploy();
    assertThatThrownBy(() -> RemoteFunction.fromName("no-such-app", "f", String.class))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("app 'no-such-app' is not deployed");
    assertThatThrownBy(() -> RemoteFunction.fromName("durable", "nope", String.class))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("function 'nope' not found in deployed app 'durable'")
        .hasMessageContaining("square");
  }

  @Test
  void aRealTimePeriodFiresRepeatedlyAndRunsShowInTheHistory() {
    DeployedApp deployed = DeployedFns.app.deploy();
    try (SkiffClient c = client()) {
      awaitRunsSince(c, deployed, 3);
    }
  }

  /**
   * Waits until the history of app "durable" shows at least {@code n} finished runs of {@code tick}
   * scheduled since {@code deployed} was deployed, all successful; returns how many runs the
   * history holds then.
   */
  private static int awaitRunsSince(SkiffClient c, DeployedApp deployed, int n) {
    long since = deployed.deployedAt().toEpochMilli();
    return await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              AppHistory h = history(c, "durable");
              List<ScheduledRun> done =
                  h.getRunsList().stream()
                      .filter(ScheduledRun::hasResult)
                      .filter(r -> r.getScheduledAtMs() >= since)
                      .toList();
              assertThat(done).allMatch(r -> r.getFunctionName().equals("tick"));
              assertThat(done).allMatch(r -> r.getResult().hasValue());
              return done.size() >= n ? h.getRunsCount() : null;
            },
            Objects::nonNull);
  }

  @Test
  void redeployRunsNewInputsOnNewCodeWhileRunningOnesFinishOnTheOld() throws Exception {
    DeployedApp v1 = VersionOne.app.deploy();
    Map<Path, Object> jarsBefore = storedJars();
    assertThat(jarsBefore).isNotEmpty();
    RemoteFunction<String> version = RemoteFunction.fromName("versions", "version", String.class);
    assertThat(version.remote(0)).isEqualTo("v1");
    FunctionCall<String> slow = version.spawn(4000);
    try (SkiffClient c = client()) {
      await().atMost(Duration.ofSeconds(30)).until(() -> running(c, "versions") > 0);
    }

    DeployedApp v2 = VersionTwo.app.deploy();

    // The same classpath again: no jar is uploaded (or rewritten) a second time.
    assertThat(storedJars()).isEqualTo(jarsBefore);
    assertThat(v2.version()).isEqualTo(v1.version() + 1);
    assertThat(version.remote(0)).isEqualTo("v2");
    assertThat(slow.get(Duration.ofSeconds(60))).isEqualTo("v1");
    try (SkiffClient c = client()) {
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(apps(c).stream().filter(a -> a.getAppName().equals("versions")))
                      .singleElement()
                      .satisfies(a -> assertThat(a.getState()).isEqualTo(AppState.APP_DEPLOYED)));
    }
    VersionTwo.app.undeploy();
    assertThatThrownBy(() -> RemoteFunction.fromName("versions", "version", String.class))
        .isInstanceOf(NotFoundException.class);
  }

  @Test
  void spawnsThatReturnedCompleteExactlyOnceAfterKillNineAndRestart() throws Exception {
    DeployedFns.app.deploy();
    Map<String, Integer> accepted = KilledSpawns.spawnAndKill(server, 1000, 300);
    server.restart();
    KilledSpawns.checkCompletedOnce(server, accepted, "SQLite store, 1000 spawns");
  }

  @Test
  void aSpawnWithAPayloadPastTheInlineLimitCompletesAfterKillNineAndRestart() throws Exception {
    DeployedFns.app.deploy();
    String text = "x".repeat(5 * 1024 * 1024); // past the 4 MiB inline limit: a blob
    RemoteFunction<Integer> lengthOf =
        RemoteFunction.fromName("durable", "lengthOf", Integer.class);
    String id = lengthOf.spawn(text).id();
    server.kill9();
    server.restart();

    Path ids = server.home().resolve("large-ids.txt");
    Files.writeString(ids, id + "\n");
    String out =
        server.runJava(Duration.ofMinutes(2), ServerClients.class.getName(), "get", ids.toString());
    assertThat(out).contains(id + " " + text.length());
  }

  @Test
  void deployedAppsTheirWebEndpointsAndHistoryComeBackAfterRestart() {
    DeployedApp deployed = DeployedFns.app.deploy();
    int runs;
    try (SkiffClient c = client()) {
      runs = awaitRunsSince(c, deployed, 3);
    }
    server.kill9();
    server.restart();
    try (SkiffClient c = client()) {
      assertThat(apps(c))
          .anySatisfy(
              a -> {
                assertThat(a.getAppName()).isEqualTo("durable");
                assertThat(a.getState()).isEqualTo(AppState.APP_DEPLOYED);
                assertThat(a.getVersion()).isEqualTo(deployed.version());
              });
      int before = history(c, "durable").getRunsCount();
      assertThat(before).isGreaterThanOrEqualTo(runs);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> history(c, "durable").getRunsCount() > before + 1);
    }
    RemoteFunction<Integer> square = RemoteFunction.fromName("durable", "square", Integer.class);
    assertThat(square.remote(12)).isEqualTo(144);
    assertThat(get(server.webBaseUrl() + "/durable/greet?name=again"))
        .isEqualTo("\"Hello, again!\"");
  }

  private static String get(String url) {
    try (HttpClient http = HttpClient.newBuilder().sslContext(server.sslContext()).build()) {
      HttpResponse<String> r =
          http.send(HttpRequest.newBuilder(URI.create(url)).build(), BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      return r.body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The stored jars with their file keys (inode) and modification times. */
  private static Map<Path, Object> storedJars() throws IOException {
    try (var files = Files.list(server.dataDir().resolve("classpath"))) {
      Map<Path, Object> out = new HashMap<>();
      for (Path p : files.toList()) {
        var attrs = Files.readAttributes(p, BasicFileAttributes.class);
        out.put(
            p.getFileName(), List.of(String.valueOf(attrs.fileKey()), attrs.lastModifiedTime()));
      }
      return out;
    }
  }

  private static List<AppSummary> apps(SkiffClient c) {
    return c.blocking().listApps(ListAppsRequest.getDefaultInstance()).getAppsList();
  }

  private static AppHistory history(SkiffClient c, String name) {
    String id =
        apps(c).stream()
            .filter(a -> a.getAppName().equals(name) && a.getState() == AppState.APP_DEPLOYED)
            .findFirst()
            .orElseThrow()
            .getAppId();
    return c.blocking().getAppHistory(AppHistoryRequest.newBuilder().setAppId(id).build());
  }

  /** The version of the deployed app {@code name}, or 0 if none is deployed. */
  private static long deployedVersion(SkiffClient c, String name) {
    return apps(c).stream()
        .filter(a -> a.getAppName().equals(name) && a.getState() == AppState.APP_DEPLOYED)
        .mapToLong(AppSummary::getVersion)
        .findFirst()
        .orElse(0);
  }

  private static int running(SkiffClient c, String name) {
    String id =
        apps(c).stream()
            .filter(a -> a.getAppName().equals(name) && a.getState() == AppState.APP_DEPLOYED)
            .findFirst()
            .orElseThrow()
            .getAppId();
    return c
        .blocking()
        .getAppStatus(AppStatusRequest.newBuilder().setAppId(id).build())
        .getFunctionsList()
        .stream()
        .mapToInt(f -> f.getRunningInputs())
        .sum();
  }
}
