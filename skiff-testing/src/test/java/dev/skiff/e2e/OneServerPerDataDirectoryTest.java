package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.internal.ClientConfig;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.ListAppsRequest;
import dev.skiff.testing.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A data directory has one server: a second one is refused, and a killed one leaves no lock. */
@Tag("e2e")
class OneServerPerDataDirectoryTest {
  @Test
  void aSecondServerOnTheSameDataDirectoryIsRefusedAndAKilledOneDoesNotBlockTheNext()
      throws Exception {
    try (ServerProcess server = ServerProcess.start()) {
      Path configFile = server.home().resolve("config.json");
      String config = Files.readString(configFile);
      Path log = server.home().resolve("second.log");

      Process second =
          server.startJava(
              log,
              "dev.skiff.server.SkiffServer",
              "--data-dir",
              server.dataDir().toString(),
              "--port",
              "0",
              "--web-port",
              "0");

      await().atMost(Duration.ofSeconds(30)).until(() -> !second.isAlive());
      assertThat(second.exitValue()).isNotZero();
      assertThat(Files.readString(log))
          .contains(
              "skiff server: the data directory "
                  + server.dataDir()
                  + " is in use by another Skiff server (pid "
                  + server.pid()
                  + ", listening on "
                  + server.target()
                  + ")")
          .doesNotContain("Skiff server listening");
      assertThat(Files.readString(configFile)).isEqualTo(config);
      assertServes(server);

      server.kill9(); // the lock file stays, naming a process that is gone
      server.restart();

      assertServes(server);
      assertThat(Files.readString(server.dataDir().resolve("server.lock")))
          .contains("pid " + server.pid() + ", listening on " + server.target());
    }
  }

  private static void assertServes(ServerProcess server) {
    ClientConfig config = server.clientConfig();
    assertThat(config.server()).isEqualTo(server.target());
    try (SkiffClient c = SkiffClient.connect(config.server(), config.token(), config.trust())) {
      // It answers (nothing is deployed here).
      assertThat(c.blocking().listApps(ListAppsRequest.getDefaultInstance()).getAppsList())
          .isEmpty();
    }
  }
}
