package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.Volume;
import dev.skiff.internal.ClientConfig;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.AppHistory;
import dev.skiff.proto.AppHistoryRequest;
import dev.skiff.proto.AppState;
import dev.skiff.proto.AppSummary;
import dev.skiff.proto.ListAppsRequest;
import dev.skiff.proto.ScheduledRun;
import dev.skiff.testing.ServerProcess;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Each tick of a deployed schedule fires at most once, however the server dies (gap 6 of issue 16):
 * the server is killed with SIGKILL again and again, each time a few milliseconds after a tick of a
 * one-second schedule, the moment its run is being recorded and its input submitted. Each round
 * waits until the schedule's container is warm again, so that the tick's input reaches it at once.
 * (Without the fix, a run was recorded only after its input was submitted; this race did not show
 * in the runs made here, as the store commits within milliseconds, so the test guards the rule
 * rather than reproducing the old window every time.)
 */
@Tag("e2e")
class ScheduleKillTest {
  /**
   * How many times the server is killed; each round costs a restart and a warm container (5-10 s).
   */
  private static final int KILLS = 5;

  @Test
  void noTickRunsTwiceWhenTheServerIsKilledAgainAndAgainRightAfterATick() {
    Random random = new Random();
    try (ServerProcess server = ServerProcess.start()) {
      server.useInThisJvm();
      TickFns.app.deploy();
      long deployedAt;
      try (SkiffClient c = client(server)) {
        deployedAt = deployed(c).getDeployedAtMs();
        await().atMost(Duration.ofSeconds(60)).until(() -> history(c).getRunsCount() >= 1);
      }
      for (int i = 0; i < KILLS; i++) {
        // Wait for a run that started after the last restart to finish: its container is warm, so
        // the next tick's input reaches it at once.
        try (SkiffClient c = client(server)) {
          long since = System.currentTimeMillis() - 500;
          await()
              .atMost(Duration.ofSeconds(60))
              .until(
                  () ->
                      history(c).getRunsList().stream()
                          .anyMatch(r -> r.getStartedAtMs() >= since && r.hasResult()));
        }
        // Ticks fall on whole seconds after the deployment; kill just after the next one.
        long now = System.currentTimeMillis();
        long nextTick = deployedAt + ((now - deployedAt) / 1000 + 1) * 1000;
        long killAt = nextTick + random.nextInt(25);
        await()
            .pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(1))
            .atMost(Duration.ofSeconds(5))
            .until(() -> System.currentTimeMillis() >= killAt);
        server.kill9();
        server.restart();
      }
      try (SkiffClient c = client(server)) {
        // Let the schedule run on until a run after the last restart has finished.
        long lastRestart = System.currentTimeMillis();
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    history(c).getRunsList().stream()
                        .anyMatch(r -> r.getStartedAtMs() >= lastRestart && r.hasResult()));
        List<ScheduledRun> runs = history(c).getRunsList();
        List<String> lines =
            new String(Volume.fromName(TickFns.VOLUME).read("runs"), StandardCharsets.UTF_8)
                .lines()
                .toList();
        assertThat(runs.stream().map(ScheduledRun::getScheduledAtMs))
            .as("the ticks in the app's history")
            .doesNotHaveDuplicates();
        assertThat(lines).as("the runs appended to the file").doesNotHaveDuplicates();
        // Each execution appends one line; each has a run in the history, recorded before it ran.
        assertThat(lines.size())
            .as("executions (lines in the file) against runs in the history (%s)", runs)
            .isLessThanOrEqualTo(runs.size());
      }
    }
  }

  private static SkiffClient client(ServerProcess server) {
    ClientConfig config = server.clientConfig();
    return SkiffClient.connect(config.server(), config.token(), config.trust());
  }

  private static AppSummary deployed(SkiffClient c) {
    return c.blocking().listApps(ListAppsRequest.getDefaultInstance()).getAppsList().stream()
        .filter(a -> a.getAppName().equals("ticks") && a.getState() == AppState.APP_DEPLOYED)
        .findFirst()
        .orElseThrow();
  }

  private static AppHistory history(SkiffClient c) {
    return c.blocking()
        .getAppHistory(AppHistoryRequest.newBuilder().setAppId(deployed(c).getAppId()).build());
  }
}
