package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.App;
import dev.skiff.AppRun;
import dev.skiff.Function2;
import dev.skiff.RunOptions;
import dev.skiff.internal.ClientConfig;
import dev.skiff.testing.SkiffExtension;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Which server and token the CLI uses when both the environment and a client config name one, and
 * what it says when the server is refused or down: run as child processes against a real control
 * plane (the fixture's, on loopback without TLS), named by a {@code config.json} in {@code
 * SKIFF_HOME}.
 */
@Tag("e2e")
class ServerChoiceTest {
  @RegisterExtension static final SkiffExtension skiff = SkiffExtension.create();
  private static final Duration DEADLINE = Duration.ofMinutes(2);

  static final App app = App.named("server-choice");
  static final Function2<Integer, Integer, Integer> add = app.function(ServerChoiceTest::add);

  static Integer add(Integer a, Integer b) {
    return a + b;
  }

  private static Path home;
  private static Path config;
  private static AppRun run;

  @BeforeAll
  static void start() throws IOException {
    home = Files.createTempDirectory("skiff-home-");
    config = home.resolve("config.json");
    ClientConfig.write(config, skiff.target(), skiff.token(), Optional.empty());
    run = app.run(RunOptions.quiet());
  }

  @AfterAll
  static void stop() {
    if (run != null) {
      run.close();
    }
    CliProcess.deleteTree(home);
  }

  private static CliProcess.Result skiff(Path skiffHome, Map<String, String> env, String... args) {
    return CliProcess.run(skiffHome, env, DEADLINE, args);
  }

  /** A loopback address where nothing listens. */
  private static String closedAddress() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return "127.0.0.1:" + s.getLocalPort();
    }
  }

  @Test
  void skiffTokenAloneReplacesTheConfigsTokenAndABadOneIsRefusedNamingIt() {
    CliProcess.Result good = skiff(home, Map.of(), "call", "server-choice", "add", "1", "2");
    assertThat(good.exitCode()).as(good.err()).isZero();
    assertThat(good.out()).isEqualTo("3\n");

    CliProcess.Result bad =
        skiff(home, Map.of("SKIFF_TOKEN", "bad"), "call", "server-choice", "add", "1", "2");
    assertThat(bad.exitCode()).as(bad.out()).isEqualTo(1);
    assertThat(bad.err())
        .isEqualTo(
            "skiff: the Skiff control plane at "
                + skiff.target()
                + " refused this client: invalid token (the token of the SKIFF_TOKEN environment"
                + " variable, for the server of "
                + config
                + ")\n");
  }

  @Test
  void skiffServerAloneUsesTheConfigsTokenOnlyForTheConfigsServer() throws IOException {
    // The same server as the config's: its token goes with it.
    CliProcess.Result same =
        skiff(
            home, Map.of("SKIFF_SERVER", skiff.target()), "call", "server-choice", "add", "2", "3");
    assertThat(same.exitCode()).as(same.err()).isZero();
    assertThat(same.out()).isEqualTo("5\n");

    // Another server: the config's token is not sent to it (if it were, this call would succeed,
    // since the server named by SKIFF_SERVER is the one that token opens).
    Path other = Files.createTempDirectory("skiff-home-");
    try {
      String elsewhere = closedAddress();
      ClientConfig.write(other.resolve("config.json"), elsewhere, skiff.token(), Optional.empty());
      CliProcess.Result refused =
          skiff(
              other,
              Map.of("SKIFF_SERVER", skiff.target(), "SKIFF_TLS", "off"),
              "call",
              "server-choice",
              "add",
              "2",
              "3");
      assertThat(refused.exitCode()).isEqualTo(1);
      assertThat(refused.out()).isEmpty();
      assertThat(refused.err())
          .isEqualTo(
              "skiff: SKIFF_SERVER is set to '"
                  + skiff.target()
                  + "' but SKIFF_TOKEN is not, and the token in "
                  + other.resolve("config.json")
                  + " is for the server at "
                  + elsewhere
                  + ", so it is not sent to another: set SKIFF_TOKEN to the token of "
                  + skiff.target()
                  + ", or unset SKIFF_SERVER\n");
    } finally {
      CliProcess.deleteTree(other);
    }
  }

  @Test
  void aServerThatIsDownIsNamedWithWhereItsAddressCameFromAndHowToStartIt() throws IOException {
    Path down = Files.createTempDirectory("skiff-home-");
    try {
      String address = closedAddress();
      Path file = down.resolve("config.json");
      ClientConfig.write(file, address, "some-token", Optional.empty());
      CliProcess.Result fromFile = skiff(down, Map.of(), "app", "list");
      assertThat(fromFile.exitCode()).isEqualTo(1);
      assertThat(fromFile.err())
          .startsWith("skiff: the Skiff server at " + address + " (address from " + file + ")")
          .contains("is unavailable", "start it with 'skiff server', or check the address")
          .hasLineCount(1);

      CliProcess.Result fromEnvironment =
          skiff(
              down,
              Map.of("SKIFF_SERVER", address, "SKIFF_TOKEN", "t", "SKIFF_TLS", "off"),
              "call",
              "server-choice",
              "add",
              "1",
              "2");
      assertThat(fromEnvironment.exitCode()).isEqualTo(1);
      assertThat(fromEnvironment.err())
          .startsWith(
              "skiff: the Skiff server at "
                  + address
                  + " (address from the SKIFF_SERVER environment variable)")
          .contains("is unavailable", "start it with 'skiff server', or check the address")
          .hasLineCount(1);
    } finally {
      CliProcess.deleteTree(down);
    }
  }

  @Test
  void skiffServerMayListReplicasAndTheOneThatAnswersIsUsed() throws IOException {
    String down = closedAddress();
    Map<String, String> env =
        Map.of(
            "SKIFF_SERVER",
            down + "," + skiff.target(),
            "SKIFF_TOKEN",
            skiff.token(),
            "SKIFF_TLS",
            "off");
    CliProcess.Result call = skiff(home, env, "call", "server-choice", "add", "4", "5");
    assertThat(call.exitCode()).as(call.err()).isZero();
    assertThat(call.out()).isEqualTo("9\n");

    CliProcess.Result bad =
        skiff(
            home,
            Map.of("SKIFF_SERVER", skiff.target() + ",", "SKIFF_TOKEN", "t", "SKIFF_TLS", "off"),
            "app",
            "list");
    assertThat(bad.exitCode()).isEqualTo(1);
    assertThat(bad.err())
        .isEqualTo(
            "skiff: the server address '"
                + skiff.target()
                + ",' (from the SKIFF_SERVER environment variable) is not valid: entry 2 is"
                + " empty; give host:port, or several replicas' addresses separated by commas"
                + " (host1:7733,host2:7733), each once\n");

    String alsoDown = closedAddress();
    CliProcess.Result allDown =
        skiff(
            home,
            Map.of(
                "SKIFF_SERVER",
                down + "," + alsoDown,
                "SKIFF_TOKEN",
                "t",
                "SKIFF_TLS",
                "off",
                "SKIFF_FAILOVER_TIMEOUT",
                "1"),
            "app",
            "list");
    assertThat(allDown.exitCode()).isEqualTo(1);
    assertThat(allDown.err())
        .contains("gave up after", down + ", " + alsoDown, "SKIFF_FAILOVER_TIMEOUT")
        .hasLineCount(1);
  }
}
