package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.AppRun;
import dev.skiff.internal.ClientConfig;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.AppSummary;
import dev.skiff.proto.ListAppsRequest;
import dev.skiff.testing.ServerProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Leases of ephemeral apps on a real server (docs/server.md): a client killed with SIGKILL during
 * {@code app.run()} leaves nothing running once its lease lapses, while a live client's run lasts
 * as long as it renews. The server runs with a 3 s lease (the default is 30 s) and no warm pool, so
 * that every container JVM under it belongs to the leased app.
 */
@Tag("e2e")
class AppLeaseTest {
  private static ServerProcess server;

  @BeforeAll
  static void startServer() {
    server = ServerProcess.start("--app-lease", "3s", "--max-warm-containers", "0");
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void appOfAClientKilledDuringRunIsStoppedWhenItsLeaseLapses() throws Exception {
    Path log = server.home().resolve("lease-client.log");
    Process client = server.startJava(log, LeaseClient.class.getName());
    await()
        .atMost(Duration.ofSeconds(90))
        .until(() -> upLine(log).isPresent() || !client.isAlive());
    String output = Files.readString(log);
    String[] up = upLine(log).orElseThrow(() -> new AssertionError(output));
    String appId = up[1];
    String url = up[2] + "?name=lease";
    assertThat(status(url)).isEqualTo(200);
    assertThat(listed(appId)).isTrue();
    List<ProcessHandle> containers = containerJvms();
    assertThat(containers).as("container JVMs under the server").hasSizeGreaterThanOrEqualTo(2);

    client.destroyForcibly();
    client.waitFor();
    long killed = System.nanoTime();

    // The lease is 3 s; the bound leaves room for the housekeeping tick and a slow machine.
    await().atMost(Duration.ofSeconds(20)).until(() -> !listed(appId));
    System.out.printf(
        "app %s stopped %d ms after its client was killed (lease 3 s)%n",
        appId, (System.nanoTime() - killed) / 1_000_000);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> containers.stream().noneMatch(ProcessHandle::isAlive));
    assertThat(containerJvms()).isEmpty();
    assertThat(status(url)).isEqualTo(404);
    assertThat(server.output()).contains("lease").contains(appId);
  }

  @Test
  void runOfALiveClientOutlivesManyLeasePeriods() {
    server.useInThisJvm();
    try (AppRun run = LeaseClient.app.run()) {
      // Four lease periods of calls, each of which must work.
      await()
          .during(Duration.ofSeconds(12))
          .atMost(Duration.ofSeconds(40))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> LeaseClient.twice.remote(4) == 8 && listed(run.appId()));
      assertThat(status(LeaseClient.hello.webUrl() + "?name=live")).isEqualTo(200);
    }
  }

  /** The {@code up APP_ID URL} line the client prints once its app's containers are up. */
  private static Optional<String[]> upLine(Path log) throws IOException {
    return Files.readAllLines(log).stream()
        .filter(l -> l.startsWith("up "))
        .findFirst()
        .map(l -> l.split(" "));
  }

  private static boolean listed(String appId) {
    ClientConfig config = server.clientConfig();
    try (SkiffClient c = SkiffClient.connect(config.server(), config.token(), config.trust())) {
      return c.blocking().listApps(ListAppsRequest.getDefaultInstance()).getAppsList().stream()
          .map(AppSummary::getAppId)
          .anyMatch(appId::equals);
    }
  }

  /** The server's descendants that are JVMs: its containers. */
  private static List<ProcessHandle> containerJvms() {
    return ProcessHandle.of(server.pid())
        .orElseThrow()
        .descendants()
        .filter(p -> p.info().command().filter(c -> c.endsWith("/java")).isPresent())
        .toList();
  }

  private static int status(String url) {
    try (HttpClient http = HttpClient.newBuilder().sslContext(server.sslContext()).build()) {
      return http.send(HttpRequest.newBuilder(URI.create(url)).build(), BodyHandlers.ofString())
          .statusCode();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
