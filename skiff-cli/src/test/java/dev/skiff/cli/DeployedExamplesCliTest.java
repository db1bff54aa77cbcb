package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The examples deployed to a {@code skiff server} and used from other programs: lookups with {@code
 * remote}, {@code map} and {@code spawn} from a new JVM, {@code FunctionCall.fromId} from another,
 * the kept logs of apps and containers (also after a server restart), {@code container stop}, and
 * the scheduled example's runs in {@code app history}.
 */
@Tag("e2e")
class DeployedExamplesCliTest {
  private static final Duration DEADLINE = Duration.ofMinutes(3);
  private static final Pattern LISTENING = Pattern.compile("Skiff server listening on (\\S+)");
  private static final String EXAMPLES = "examples/src/main/java/dev/skiff/examples/";
  private Path home;
  private CliProcess.Running server;

  @BeforeEach
  void startServer() throws IOException {
    home = Files.createTempDirectory("skiff-home-");
    server = startedServer();
  }

  private CliProcess.Running startedServer() {
    CliProcess.Running s =
        CliProcess.start(home, Map.of(), "server", "--port", "0", "--web-port", "0");
    await().atMost(Duration.ofMinutes(2)).until(() -> LISTENING.matcher(s.output()).find());
    return s;
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

  private CliProcess.Result succeeded(String... args) {
    CliProcess.Result r = skiff(args);
    assertThat(r.exitCode()).as("skiff %s: %s", String.join(" ", args), r.err()).isZero();
    return r;
  }

  @Test
  void deployedExamplesAreCalledFromOtherProgramsAndTheirLogsAreKept() {
    assertThat(succeeded("deploy", EXAMPLES + "Hello.java").out())
        .contains("deployed app 'hello' version 1");
    assertThat(succeeded("deploy", EXAMPLES + "Scheduled.java").out())
        .contains("deployed app 'scheduled' version 1");

    // A new JVM looks the function up and calls it three ways.
    CliProcess.Result client = succeeded("run", "skiff-cli/src/test/programs/HelloClient.java");
    assertThat(client.out())
        .contains("remote Hello, Lookup!\n")
        .contains("map [Hello, Alice!, Hello, Bob!, Hello, Charlie!]\n");
    Matcher spawned = Pattern.compile("spawned (fc-[a-z0-9]+)").matcher(client.out());
    assertThat(spawned.find()).as(client.out()).isTrue();
    // Another one fetches the spawned call's result by id.
    assertThat(
            succeeded(
                    "run", "skiff-cli/src/test/programs/HelloClient.java", "get", spawned.group(1))
                .out())
        .isEqualTo("got Hello, Spawned!\n");

    // The container's output, after the fact: every input's line, marked as stderr.
    await()
        .atMost(Duration.ofMinutes(1))
        .until(() -> succeeded("app", "logs", "hello").out().contains("saying hello to Spawned"));
    String logs = succeeded("app", "logs", "hello").out();
    for (String name : new String[] {"Lookup", "Alice", "Bob", "Charlie", "Spawned"}) {
      assertThat(logs)
          .containsPattern("(?m)^\\[hello (c-[a-z0-9]+)\\]! saying hello to " + name + "$");
    }
    assertThat(succeeded("app", "logs", "hello", "--tail", "1").out().lines()).hasSize(1);
    assertThat(succeeded("app", "logs", "hello", "--timestamps").out())
        .containsPattern(
            "(?m)^\\d{4}-\\d\\d-\\d\\dT\\S+Z \\[hello c-[a-z0-9]+\\]! saying hello to");

    // One container's lines, then that container stopped on request.
    Matcher first =
        Pattern.compile("\\[hello (c-[a-z0-9]+)\\]! saying hello to Lookup").matcher(logs);
    assertThat(first.find()).isTrue();
    String container = first.group(1);
    assertThat(succeeded("container", "logs", container).out())
        .contains("[hello " + container + "]! saying hello to Lookup")
        .doesNotContain("[scheduled");
    // A call now leaves a container idle for the default scale-down window (60 s); stop it.
    assertThat(succeeded("call", "hello", "hello", "\"Again\"").out())
        .isEqualTo("\"Hello, Again!\"\n");
    Matcher listed =
        Pattern.compile("(?m)^hello +hello +(c-[a-z0-9]+) +idle ")
            .matcher(succeeded("container", "list", "hello").out());
    assertThat(listed.find()).isTrue();
    String idle = listed.group(1);
    assertThat(succeeded("container", "stop", idle).out())
        .startsWith("stopping container " + idle + " of hello (ap-");
    await()
        .atMost(Duration.ofMinutes(1))
        .until(() -> !succeeded("container", "list", "hello").out().contains(idle));
    // An ended container's kept lines are still there.
    assertThat(succeeded("container", "logs", idle).out())
        .contains("[hello " + idle + "]! saying hello to Again");
    CliProcess.Result unknown = skiff("container", "stop", "c-nosuchcontainer");
    assertThat(unknown.exitCode()).isEqualTo(1);
    assertThat(unknown.err()).contains("container 'c-nosuchcontainer' not found");

    // The scheduled example runs on its own; its runs and its output are visible.
    await()
        .atMost(Duration.ofMinutes(1))
        .until(() -> succeeded("app", "history", "scheduled").out().contains("succeeded"));
    assertThat(succeeded("app", "history", "scheduled").out())
        .containsPattern("(?m)^everySecond +\\S+Z +\\S+Z +succeeded$");
    await()
        .atMost(Duration.ofMinutes(1))
        .until(() -> succeeded("app", "logs", "scheduled").out().contains("Running every second"));

    // The deployed apps' kept lines survive a restart of the server.
    server.close();
    server = startedServer();
    String afterRestart = succeeded("app", "logs", "hello").out();
    assertThat(afterRestart)
        .contains("[hello " + container + "]! saying hello to Lookup")
        .contains("saying hello to Spawned");
    assertThat(succeeded("container", "logs", container).out()).contains("saying hello to Lookup");
  }

  @Test
  void logsOfAnUnknownAppOrContainerFailNamingIt() {
    CliProcess.Result app = skiff("app", "logs", "nosuchapp");
    assertThat(app.exitCode()).isEqualTo(1);
    assertThat(app.err()).contains("nosuchapp");
    CliProcess.Result container = skiff("container", "logs", "c-nosuchcontainer");
    assertThat(container.exitCode()).isEqualTo(1);
    assertThat(container.err()).contains("container 'c-nosuchcontainer' not found");
    CliProcess.Result tail = skiff("app", "logs", "nosuchapp", "--tail", "0");
    assertThat(tail.exitCode()).isEqualTo(2);
    assertThat(tail.err()).contains("--tail is 0; it must be at least 1");
  }
}
