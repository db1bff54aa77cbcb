package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.internal.ClientConfig;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.AppHistory;
import dev.skiff.proto.AppHistoryRequest;
import dev.skiff.proto.AppState;
import dev.skiff.proto.ListAppsRequest;
import dev.skiff.proto.ScheduledRun;
import dev.skiff.testing.ServerProcess;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The missed-tick rule across real restarts of the server (docs/server.md): the ticks of a deployed
 * schedule missed while the server was down run once, at once, when it is back, whether it was
 * stopped or killed.
 */
@Tag("e2e")
class ScheduleRestartTest {
  private static final long PERIOD_MS = 2000; // CatchUpFns.beat's period

  @Test
  void ticksMissedWhileTheServerWasDownRunOnceAtRestartAfterSigtermAndAfterKillNine() {
    try (ServerProcess server = ServerProcess.start()) {
      server.useInThisJvm();
      CatchUpFns.app.deploy();
      try (SkiffClient c = client(server)) {
        await().atMost(Duration.ofSeconds(60)).until(() -> history(c).getRunsCount() >= 1);
      }

      assertOneCatchUpRunAfterDowntime(server, server::stop);
      assertOneCatchUpRunAfterDowntime(server, server::kill9);
    }
  }

  /**
   * Takes the server down with {@code down}, keeps it down for three and a half periods (at least
   * three missed ticks), starts it again, and asserts that exactly one run of a missed tick
   * happened, at once, before the next regular tick.
   */
  private static void assertOneCatchUpRunAfterDowntime(ServerProcess server, Runnable down) {
    down.run();
    long downAt = System.currentTimeMillis();
    await()
        .pollInterval(Duration.ofMillis(100))
        .atMost(Duration.ofSeconds(10))
        .until(() -> System.currentTimeMillis() >= downAt + 7 * PERIOD_MS / 2);
    long restartAt = System.currentTimeMillis();
    server.restart();
    long listeningAt = System.currentTimeMillis();

    try (SkiffClient c = client(server)) {
      // A regular tick after the restart: catch-up runs, one or a flood, fire before it.
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  history(c).getRunsList().stream()
                      .anyMatch(r -> r.getScheduledAtMs() >= restartAt && r.hasResult()));
      List<ScheduledRun> runs = history(c).getRunsList();
      long lastTickBefore =
          runs.stream()
              .filter(r -> r.getStartedAtMs() < downAt)
              .mapToLong(ScheduledRun::getScheduledAtMs)
              .max()
              .orElseThrow();
      List<ScheduledRun> caughtUp =
          runs.stream()
              .filter(r -> r.getStartedAtMs() >= restartAt && r.getScheduledAtMs() < restartAt)
              .toList();
      assertThat(caughtUp)
          .as("runs after the restart of ticks missed while the server was down")
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.getScheduledAtMs()).isGreaterThan(lastTickBefore);
                assertThat(r.getStartedAtMs()).isLessThan(listeningAt + PERIOD_MS);
              });
    }
  }

  private static SkiffClient client(ServerProcess server) {
    ClientConfig config = server.clientConfig();
    return SkiffClient.connect(config.server(), config.token(), config.trust());
  }

  private static AppHistory history(SkiffClient c) {
    String id =
        c.blocking().listApps(ListAppsRequest.getDefaultInstance()).getAppsList().stream()
            .filter(a -> a.getAppName().equals("catch-up") && a.getState() == AppState.APP_DEPLOYED)
            .findFirst()
            .orElseThrow()
            .getAppId();
    return c.blocking().getAppHistory(AppHistoryRequest.newBuilder().setAppId(id).build());
  }
}
