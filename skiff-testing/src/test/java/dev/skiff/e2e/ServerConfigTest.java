package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.testing.ServerProcess;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** How programs choose a control plane from the client config. */
@Tag("e2e")
class ServerConfigTest {
  @Test
  void aConfiguredServerThatIsDownFallsBackToEmbeddedForRunsButNotForDeploys() {
    try (ServerProcess server = ServerProcess.start()) {
      server.stop(); // SIGTERM: a clean shutdown; the config stays

      String out = server.runJava(Duration.ofMinutes(2), ServerClients.class.getName(), "fallback");

      assertThat(out)
          .contains(
              "skiff: the server at "
                  + server.target()
                  + " (from "
                  + server.home().resolve("config.json")
                  + ") does not answer; using an embedded"
                  + " control plane")
          .contains("ephemeral=9")
          .contains("deploy failed: the Skiff server at " + server.target())
          .doesNotContain("deployed?!");
    }
  }
}
