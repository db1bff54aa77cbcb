package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skiff.FunctionCall;
import dev.skiff.NotFoundException;
import dev.skiff.testing.ServerProcess;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Results of spawned calls are kept for the server's retention, then swept. */
@Tag("e2e")
class ResultRetentionTest {
  private static ServerProcess server;

  @BeforeAll
  static void startServer() {
    server = ServerProcess.start("--result-retention", "2s");
    server.useInThisJvm();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void resultsOlderThanTheRetentionAreSweptAndThenNotFound() {
    try (var run = DeployedFns.app.run()) {
      FunctionCall<Integer> call = DeployedFns.square.spawn(5);
      assertThat(call.get()).isEqualTo(25);
      assertThat(FunctionCall.<Integer>fromId(call.id()).get()).isEqualTo(25);
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThatThrownBy(() -> FunctionCall.fromId(call.id()))
                      .isInstanceOf(NotFoundException.class)
                      .hasMessageContaining("older than the retention"));
    }
  }

  @Test
  void badRetentionIsRefusedWithWhatIsAllowed() {
    assertThatThrownBy(() -> ServerProcess.start("--result-retention", "soon"))
        .hasMessageContaining("--result-retention soon is not a duration; use e.g. 7d");
  }
}
