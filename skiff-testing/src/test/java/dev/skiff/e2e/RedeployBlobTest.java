package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.DeployedApp;
import dev.skiff.FunctionCall;
import dev.skiff.RemoteFunction;
import dev.skiff.internal.ClientConfig;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.GetResultRequest;
import dev.skiff.server.secrets.SecretStore;
import dev.skiff.testing.ServerProcess;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A durable spawn whose argument is past the inline limit (a blob kept under its app's id) still
 * pending when its app is deployed again runs to its result: on the replaced version right away, on
 * the new version after a kill -9 and restart, and on the new deployment that adopts it when its
 * app could not be restored (gap 8 of issue 16).
 */
@Tag("e2e")
class RedeployBlobTest {
  private static final String TEXT = "x".repeat(5 * 1024 * 1024); // past the 4 MiB inline limit
  private static ServerProcess server;
  private static SecretStore secrets;

  @BeforeAll
  static void startServer() {
    server = ServerProcess.start();
    server.useInThisJvm();
    secrets =
        SecretStore.open(server.dataDir(), server.home().resolve("secret.key"), Clock.systemUTC());
    secrets.put(RedeployBlobFns.SECRET, Map.of("TOKEN", "t"));
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

  private static RemoteFunction<Integer> measure() {
    return RemoteFunction.fromName("redeploy-blobs", "measure", Integer.class);
  }

  /** Whether call {@code id} has its result. */
  private static boolean done(String id) {
    ClientConfig config = server.clientConfig();
    try (SkiffClient c = SkiffClient.connect(config.server(), config.token(), config.trust())) {
      return c.blocking().getResult(GetResultRequest.newBuilder().setCallId(id).build()).getDone();
    }
  }

  /** Spawns a call that keeps the one container busy, then the large one, which waits. */
  private static String spawnLargeBehindABusyContainer() {
    measure().spawn("busy");
    return measure().spawn(TEXT).id();
  }

  @Test
  void aPendingLargeSpawnCompletesAcrossARedeploy() {
    DeployedApp v1 = RedeployBlobFns.app.deploy();
    String id = spawnLargeBehindABusyContainer();
    DeployedApp v2 = RedeployBlobFns.app.deploy();
    assertThat(v2.version()).isEqualTo(v1.version() + 1);
    assertThat(done(id)).as("the large call is still pending after the redeploy").isFalse();
    assertThat(FunctionCall.<Integer>fromId(id).get(Duration.ofSeconds(60)))
        .isEqualTo(TEXT.length());
  }

  @Test
  void aPendingLargeSpawnCompletesOnTheNewVersionAfterARedeployAndKillNine() {
    RedeployBlobFns.app.deploy();
    String id = spawnLargeBehindABusyContainer();
    RedeployBlobFns.app.deploy();
    assertThat(done(id)).as("the large call is still pending after the redeploy").isFalse();
    server.kill9();
    server.restart();
    assertThat(FunctionCall.<Integer>fromId(id).get(Duration.ofSeconds(60)))
        .isEqualTo(TEXT.length());
  }

  @Test
  void aPendingLargeSpawnOfAnAppNotRestoredRunsOnTheDeploymentThatAdoptsIt() {
    RedeployBlobFns.app.deploy();
    String id = spawnLargeBehindABusyContainer();
    server.kill9();
    secrets.delete(RedeployBlobFns.SECRET);
    try {
      server.restart();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> server.output().contains("'redeploy-blobs' could not be restored"));
    } finally {
      secrets.put(RedeployBlobFns.SECRET, Map.of("TOKEN", "t"));
    }
    RedeployBlobFns.app.deploy(); // adopts the waiting call, under a new app id
    assertThat(FunctionCall.<Integer>fromId(id).get(Duration.ofSeconds(60)))
        .isEqualTo(TEXT.length());
  }
}
