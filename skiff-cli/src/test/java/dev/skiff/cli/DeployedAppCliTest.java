package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The whole command line against a long-running server it started itself: {@code skiff server},
 * {@code secret create}, {@code deploy}, {@code app list}, {@code call}, {@code container list},
 * {@code app history} and {@code app stop}, each a separate process sharing one SKIFF_HOME (the
 * server writes its client configuration there and the other commands read it).
 */
@Tag("e2e")
class DeployedAppCliTest {
  private static final Duration DEADLINE = Duration.ofMinutes(3);
  private static final Pattern LISTENING = Pattern.compile("Skiff server listening on (\\S+)");
  private Path home;
  private CliProcess.Running server;

  @BeforeEach
  void startServer() throws IOException {
    home = Files.createTempDirectory("skiff-home-");
    server = CliProcess.start(home, Map.of(), "server", "--port", "0", "--web-port", "0");
    await().atMost(Duration.ofMinutes(2)).until(() -> LISTENING.matcher(server.output()).find());
  }

  @AfterEach
  void stopServer() {
    if (server != null) {
      server.close();
    }
    CliProcess.deleteTree(home);
  }

  private CliProcess.Result skiff(String... args) {
    return CliProcess.run(home, DEADLINE, args);
  }

  @Test
  void deployCallInspectAndStopAnAppFromTheCommandLine() {
    Matcher m = LISTENING.matcher(server.output());
    assertThat(m.find()).isTrue();
    assertThat(home.resolve("config.json")).exists();

    String value = "t-" + UUID.randomUUID();
    assertThat(skiff("secret", "create", "greeter-secret", "TOKEN=" + value).exitCode()).isZero();

    CliProcess.Result deployed = skiff("deploy", "skiff-cli/src/test/programs/Greeter.java");
    assertThat(deployed.exitCode()).as(deployed.err()).isZero();
    assertThat(deployed.out())
        .containsPattern(
            "deployed app 'greeter' version 1 \\(ap-[a-z2-7]+\\) with functions"
                + " \\[greet, tick, token\\]");

    CliProcess.Result list = skiff("app", "list");
    assertThat(list.out())
        .containsPattern("(?m)^greeter +ap-[a-z2-7]+ +deployed +1 +\\S+Z +greet,tick,token$");

    CliProcess.Result call = skiff("call", "greeter", "greet", "\"CLI\"");
    assertThat(call.exitCode()).as(call.err()).isZero();
    assertThat(call.out()).isEqualTo("\"Hello, CLI!\"\n");
    // The named secret was resolved by the server from the store the CLI wrote.
    assertThat(skiff("call", "greeter", "token").out())
        .isEqualTo("\"reversed:" + new StringBuilder(value).reverse() + "\"\n");

    assertThat(skiff("container", "list", "greeter").out())
        .containsPattern("(?m)^greeter +greet +c-[a-z0-9]+ +(idle|busy) ");
    // The warm-pool container started for the app's classpath is listed too, with no function.
    await()
        .atMost(Duration.ofMinutes(1))
        .untilAsserted(
            () ->
                assertThat(skiff("container", "list", "greeter").out())
                    .containsPattern("(?m)^greeter +- +c-[a-z0-9]+ +warm +0"));

    await()
        .atMost(Duration.ofMinutes(1))
        .until(() -> skiff("app", "history", "greeter").out().contains("succeeded"));
    assertThat(skiff("app", "history", "greeter").out())
        .containsPattern("(?m)^tick +\\S+Z +\\S+Z +succeeded$");

    CliProcess.Result stop = skiff("app", "stop", "greeter");
    assertThat(stop.out()).isEqualTo("stopped app greeter\n");
    assertThat(skiff("app", "list").out()).doesNotContain("greeter");
    assertThat(server.output()).doesNotContain(value);
  }

  @Test
  void deployRefusesAMissingNamedSecretNamingIt() {
    CliProcess.Result deployed = skiff("deploy", "skiff-cli/src/test/programs/Greeter.java");
    assertThat(deployed.exitCode()).isEqualTo(1);
    assertThat(deployed.err()).contains("skiff: secret 'greeter-secret'", "not found");
    assertThat(skiff("app", "list").out()).doesNotContain("greeter");
  }
}
