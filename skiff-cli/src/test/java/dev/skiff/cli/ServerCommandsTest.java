package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.App;
import dev.skiff.AppRun;
import dev.skiff.Every;
import dev.skiff.Function0;
import dev.skiff.Function1;
import dev.skiff.Function2;
import dev.skiff.RunOptions;
import dev.skiff.ScheduledRun;
import dev.skiff.testing.SkiffExtension;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The commands that talk to a server, run as child processes against a real control plane (the test
 * fixture's, on loopback, named to the CLI by SKIFF_SERVER and SKIFF_TOKEN).
 */
@Tag("e2e")
class ServerCommandsTest {
  @RegisterExtension static final SkiffExtension skiff = SkiffExtension.create();
  private static final Duration DEADLINE = Duration.ofMinutes(2);

  record Point(int x, int y) {}

  static final App app = App.named("cli-target");
  static final Function1<String, String> greet = app.function(ServerCommandsTest::greet);
  static final Function2<Integer, Integer, Integer> add = app.function(ServerCommandsTest::add);
  static final Function1<Point, Point> flip = app.function(ServerCommandsTest::flip);
  static final Function1<String, String> fail = app.function(ServerCommandsTest::fail);
  static final Function0<String> tick =
      app.function(ServerCommandsTest::tick, f -> f.schedule(Every.seconds(1)));

  static String greet(String name) {
    System.out.println("greeting " + name);
    return "Hello, " + name + "!";
  }

  static Integer add(Integer a, Integer b) {
    return a + b;
  }

  static Point flip(Point p) {
    return new Point(p.y(), p.x());
  }

  static String fail(String why) {
    throw new IllegalStateException("failed because " + why);
  }

  static String tick() {
    return "tick";
  }

  private static Path home;
  private static AppRun run;

  @BeforeAll
  static void start() throws IOException {
    home = Files.createTempDirectory("skiff-home-");
    // The fixture's embedded control plane serves its dashboard once a run asks.
    run = app.run(RunOptions.quiet().withDashboard(true));
  }

  @AfterAll
  static void stop() {
    if (run != null) {
      run.close();
    }
    CliProcess.deleteTree(home);
  }

  private static Map<String, String> server() {
    // The fixture's embedded control plane is on loopback without TLS.
    return Map.of("SKIFF_SERVER", skiff.target(), "SKIFF_TOKEN", skiff.token(), "SKIFF_TLS", "off");
  }

  private static CliProcess.Result skiff(String... args) {
    return CliProcess.run(home, server(), DEADLINE, args);
  }

  @Test
  void dashboardPrintsTheUrlOfTheDashboardWhichAsksForALogin() throws Exception {
    CliProcess.Result dashboard = skiff("dashboard", "--no-open");
    assertThat(dashboard.exitCode()).as(dashboard.err()).isZero();
    String url = dashboard.out().strip();
    assertThat(url).matches("http://127\\.0\\.0\\.1:\\d+/_skiff/ui/");
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> page =
          http.send(HttpRequest.newBuilder(URI.create(url)).build(), BodyHandlers.ofString());
      assertThat(page.statusCode()).isEqualTo(303);
      assertThat(page.headers().firstValue("Location")).contains("/_skiff/ui/login");
    }
  }

  @Test
  void callPrintsTheResultAsJson() {
    CliProcess.Result hello = skiff("call", "cli-target", "greet", "\"World\"");
    assertThat(hello.exitCode()).as(hello.err()).isZero();
    assertThat(hello.out()).isEqualTo("\"Hello, World!\"\n");
    assertThat(skiff("call", run.appId(), "add", "40", "2").out()).isEqualTo("42\n");
    assertThat(skiff("call", run.appId(), "flip", "{\"x\": 1, \"y\": 2}").out())
        .isEqualTo("{\"x\":2,\"y\":1}\n");
  }

  @Test
  void callReportsTheFunctionsExceptionAndBadInputInOneLine() {
    CliProcess.Result failed = skiff("call", run.appId(), "fail", "\"no reason\"");
    assertThat(failed.exitCode()).isEqualTo(1);
    assertThat(failed.err())
        .isEqualTo("skiff: java.lang.IllegalStateException: failed because no reason\n");

    // Skiff's own failures have no class name: the line is their message alone.
    CliProcess.Result tooFew = skiff("call", run.appId(), "add", "1");
    assertThat(tooFew.exitCode()).isEqualTo(1);
    assertThat(tooFew.err()).isEqualTo("skiff: function 'add' takes 2 argument(s), got 1\n");

    CliProcess.Result notJson = skiff("call", run.appId(), "greet", "World");
    assertThat(notJson.exitCode()).isEqualTo(2);
    assertThat(notJson.err()).contains("argument 1 is not a JSON value: World");

    CliProcess.Result unknown = skiff("call", run.appId(), "nope", "1");
    assertThat(unknown.exitCode()).isEqualTo(1);
    assertThat(unknown.err()).startsWith("skiff: ").contains("nope").hasLineCount(1);

    CliProcess.Result noApp = skiff("call", "ap-aaaaaaaaaa", "greet", "\"x\"");
    assertThat(noApp.exitCode()).isEqualTo(1);
    assertThat(noApp.err()).startsWith("skiff: ").contains("ap-aaaaaaaaaa").hasLineCount(1);
  }

  @Test
  void callRefusesANumberThatDoesNotFitTheParameterType() {
    CliProcess.Result decimal = skiff("call", run.appId(), "add", "1.5", "2");
    assertThat(decimal.exitCode()).isEqualTo(1);
    assertThat(decimal.out()).isEmpty();
    assertThat(decimal.err())
        .isEqualTo(
            "skiff: argument 1 of 'add' is 1.5, which does not fit its type java.lang.Integer:"
                + " allowed are whole numbers from -2147483648 to 2147483647\n");
  }

  @Test
  void containerListShowsEachFunctionsContainersAndTheirState() {
    assertThat(greet.remote("x")).isEqualTo("Hello, x!");
    CliProcess.Result list = skiff("container", "list", run.appId());
    assertThat(list.exitCode()).as(list.err()).isZero();
    assertThat(list.out().lines().findFirst().orElseThrow())
        .startsWith("APP")
        .contains("FUNCTION", "CONTAINER", "STATE", "RUNNING", "QUEUED");
    assertThat(list.out())
        .containsPattern("(?m)^cli-target +greet +c-[a-z0-9]+ +(idle|busy|starting) ");
    // By name too, and without a name for every app.
    assertThat(skiff("container", "list", "cli-target").out()).contains(" greet ");
    assertThat(skiff("container", "list").out()).contains("cli-target ");
  }

  @Test
  void logsFollowPrintsContainerOutputAsItComesUntilTheAppStops() throws Exception {
    App other = App.named("cli-logs");
    Function1<String, String> hello = other.function(ServerCommandsTest::greet);
    AppRun otherRun = other.run(RunOptions.quiet());
    try (CliProcess.Running logs =
        CliProcess.start(home, server(), "app", "logs", otherRun.appId(), "--follow")) {
      await()
          .atMost(Duration.ofMinutes(1))
          .until(
              () -> {
                hello.remote("logs-" + System.nanoTime());
                return logs.output().contains("] greeting logs-");
              });
      assertThat(logs.output()).containsPattern("\\[greet c-[a-z0-9]+\\] greeting logs-\\d+");
      // Without --follow: an ephemeral app's kept lines, then the command exits.
      CliProcess.Result kept = skiff("app", "logs", otherRun.appId());
      assertThat(kept.exitCode()).as(kept.err()).isZero();
      assertThat(kept.out()).containsPattern("(?m)^\\[greet c-[a-z0-9]+\\] greeting logs-\\d+$");
      CliProcess.Result stopped = skiff("app", "stop", otherRun.appId());
      assertThat(stopped.out()).isEqualTo("stopped app " + otherRun.appId() + "\n");
      assertThat(logs.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(logs.process().exitValue()).isZero();
    } finally {
      otherRun.close();
    }
  }

  @Test
  void historyListsScheduledRunsWithTheirOutcome() {
    await()
        .atMost(Duration.ofMinutes(1))
        .until(
            () ->
                run.history().stream().anyMatch(r -> r.state() instanceof ScheduledRun.Succeeded));
    CliProcess.Result history = skiff("app", "history", run.appId());
    assertThat(history.exitCode()).as(history.err()).isZero();
    assertThat(history.out().lines().findFirst().orElseThrow())
        .startsWith("FUNCTION")
        .contains("SCHEDULED", "STARTED", "OUTCOME");
    assertThat(history.out()).containsPattern("(?m)^tick +\\S+Z +\\S+Z +succeeded$");
  }

  @Test
  void appsAreFoundByNameAndAnUnknownAppOrNoServerIsOneLine() throws IOException {
    CliProcess.Result byName = skiff("app", "history", "cli-target");
    assertThat(byName.exitCode()).as(byName.err()).isZero();
    assertThat(byName.out()).startsWith("FUNCTION");
    CliProcess.Result list = skiff("app", "list");
    assertThat(list.out())
        .containsPattern("(?m)^cli-target +" + run.appId() + " +ephemeral +- +- +");

    CliProcess.Result unknown = skiff("app", "history", "no-such-app");
    assertThat(unknown.exitCode()).isEqualTo(1);
    assertThat(unknown.err()).startsWith("skiff: no app named 'no-such-app'").hasLineCount(1);

    Path empty = Files.createTempDirectory("skiff-home-");
    try {
      CliProcess.Result none = CliProcess.run(empty, DEADLINE, "app", "history", run.appId());
      assertThat(none.exitCode()).isEqualTo(1);
      assertThat(none.err())
          .isEqualTo(
              "skiff: no Skiff server is configured: start one with 'skiff server' (it writes "
                  + empty.resolve("config.json")
                  + "), or set SKIFF_SERVER and SKIFF_TOKEN\n");
    } finally {
      CliProcess.deleteTree(empty);
    }
  }
}
