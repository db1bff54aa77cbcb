package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.skiff.App;
import dev.skiff.AppRun;
import dev.skiff.RunOptions;
import dev.skiff.SkiffException;
import dev.skiff.WebEndpoint;
import dev.skiff.WebRequest;
import dev.skiff.WebResponse;
import dev.skiff.WebToken;
import dev.skiff.testing.SkiffExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Web endpoints of an ephemeral run, called over real HTTP (java.net.http and curl): requests are
 * inputs run in containers, answers are JSON.
 */
@Tag("e2e")
class WebEndpointTest {
  // No warm container: every container process the test sees belongs to a function.
  @RegisterExtension
  static final SkiffExtension skiff = SkiffExtension.builder().withoutWarmContainers().build();

  record Greeting(String message, int times) {}

  record Sum(long sum) {}

  // Endpoints other than `secret` keep a container from the start, so that they start in parallel.
  static final App app = App.named("web-e2e");
  static final WebEndpoint greet =
      app.webEndpoint(WebEndpointTest::greet, w -> w.function(f -> f.minContainers(1)));
  static final WebEndpoint add =
      app.webEndpoint(
          WebEndpointTest::add,
          w -> w.method("POST").label("sum").function(f -> f.minContainers(1)));
  static final WebEndpoint secret = app.webEndpoint(WebEndpointTest::secret, w -> w.requiresAuth());
  static final WebEndpoint slow =
      app.webEndpoint(
          WebEndpointTest::slow,
          w ->
              w.function(
                  f ->
                      f.timeout(Duration.ofSeconds(1))
                          .startupTimeout(Duration.ofSeconds(60))
                          .minContainers(1)));
  static final WebEndpoint echo =
      app.webEndpoint(WebEndpointTest::echo, w -> w.function(f -> f.minContainers(1)));

  static Greeting greet(String name, int times) {
    if (times < 0) {
      throw new IllegalArgumentException("times is " + times + "; allowed is >= 0");
    }
    return new Greeting("Hello, " + name + "!", times);
  }

  static Sum add(long a, List<Long> more) {
    return new Sum(a + more.stream().mapToLong(Long::longValue).sum());
  }

  static String secret(String word) {
    return word.toUpperCase(Locale.ROOT);
  }

  static String slow() throws InterruptedException {
    Thread.sleep(60_000);
    return "late";
  }

  static WebResponse echo(WebRequest request) {
    // A Content-Length of its own is dropped: the gateway frames the answer.
    return new WebResponse(
        201,
        Map.of(
            "X-Echo-Method", request.method(), "Content-Type", "text/plain", "Content-Length", "3"),
        (request.path() + "?" + request.queryParam("q").orElse("-") + " " + request.bodyText())
            .getBytes(StandardCharsets.UTF_8));
  }

  private static AppRun run;
  private static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @BeforeAll
  static void start() {
    run = app.run(RunOptions.quiet());
  }

  @AfterAll
  static void stop() {
    run.close();
  }

  private static HttpResponse<String> get(String url, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> post(String url, String json) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void webUrlIsTheGatewayUrlThatWorksAndQueryParametersMapByName() throws Exception {
    assertThat(greet.webUrl()).matches("http://127\\.0\\.0\\.1:\\d+/web-e2e/greet");
    HttpResponse<String> r = get(greet.webUrl() + "?times=3&name=W%C3%B6rld");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(r.body()).isEqualTo("{\"message\":\"Hello, Wörld!\",\"times\":3}");
  }

  @Test
  void postMapsTheJsonBodyOntoParametersAndAnswersJson() throws Exception {
    assertThat(add.webUrl()).endsWith("/web-e2e/sum");
    HttpResponse<String> r = post(add.webUrl(), "{\"a\": 1, \"more\": [2, 3], \"ignored\": true}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"sum\":6}");
  }

  @Test
  void curlGetsTheSameAnswers() throws Exception {
    assumeThat(Path.of("/usr/bin/curl")).exists();
    assertThat(
            curl(
                "-X",
                "POST",
                "-H",
                "Content-Type: application/json",
                "-d",
                "{\"a\": 40, \"more\": [2]}",
                add.webUrl()))
        .isEqualTo("{\"sum\":42}\n200");
    assertThat(curl("-X", "POST", "-d", "{\"a\": ", add.webUrl())).endsWith("\n400");
    assertThat(curl(secret.webUrl() + "?word=x")).endsWith("\n401");
    WebToken token = run.createWebToken("curl");
    assertThat(
            curl(
                "-H",
                "Skiff-Key: " + token.keyId(),
                "-H",
                "Skiff-Secret: " + token.secret(),
                secret.webUrl() + "?word=psst"))
        .isEqualTo("\"PSST\"\n200");
  }

  private static String curl(String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of("/usr/bin/curl", "-s", "-S", "--max-time", "60", "-w", "\n%{http_code}"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(70, TimeUnit.SECONDS)).isTrue();
    return out;
  }

  @Test
  void malformedRequestsAnswer400WithAJsonMessage() throws Exception {
    HttpResponse<String> badJson = post(add.webUrl(), "{\"a\": 1,");
    assertThat(badJson.statusCode()).isEqualTo(400);
    assertThat(badJson.body())
        .startsWith("{\"error\":\"web endpoint /web-e2e/sum: the request body is not valid JSON");
    HttpResponse<String> notObject = post(add.webUrl(), "[1, 2]");
    assertThat(notObject.statusCode()).isEqualTo(400);
    assertThat(notObject.body()).contains("the request body is not a JSON object");
    HttpResponse<String> missing = get(greet.webUrl() + "?name=x");
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(missing.body())
        .isEqualTo(
            "{\"error\":\"missing query parameter 'times' (int); the endpoint takes name (String),"
                + " times (int)\"}");
    HttpResponse<String> unconvertible = get(greet.webUrl() + "?name=x&times=many");
    assertThat(unconvertible.statusCode()).isEqualTo(400);
    assertThat(unconvertible.body())
        .startsWith("{\"error\":\"query parameter 'times' is 'many'; it must be int");
    HttpResponse<String> wrongType = post(add.webUrl(), "{\"a\": \"one\", \"more\": []}");
    assertThat(wrongType.statusCode()).isEqualTo(400);
    assertThat(wrongType.body())
        .startsWith("{\"error\":\"field 'a' is \\\"one\\\"; it must be long");
  }

  @Test
  void authRequiredEndpointAnswers401WithoutAValidTokenAndStartsNoContainer() throws Exception {
    Set<Long> before = pids();
    HttpResponse<String> none = get(secret.webUrl() + "?word=x");
    HttpResponse<String> wrong =
        get(secret.webUrl() + "?word=x", "Skiff-Key", "wk-nope", "Skiff-Secret", "ws-nope");
    HttpResponse<String> client =
        get(secret.webUrl() + "?word=x", "Authorization", "Bearer " + skiff.token());
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(client.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Skiff-Key realm=\"skiff\"");
    assertThat(none.body()).contains("requires auth");
    assertThat(pids()).isSubsetOf(before);
    assertThat(containersOf("secret")).isZero();

    WebToken token = run.createWebToken("test");
    HttpResponse<String> ok =
        get(
            secret.webUrl() + "?word=psst",
            "Skiff-Key",
            token.keyId(),
            "Skiff-Secret",
            token.secret());
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.body()).isEqualTo("\"PSST\"");
  }

  @Test
  void requestThatOutlivesItsTimeoutAnswers504() throws Exception {
    HttpResponse<String> r = get(slow.webUrl());
    assertThat(r.statusCode()).isEqualTo(504);
    assertThat(r.body())
        .isEqualTo(
            "{\"error\":\"web endpoint /web-e2e/slow: function 'slow' timed out after 1s"
                + " (attempt 1 of 1)\"}");
  }

  @Test
  void exceptionOfTheMethodAnswers500WithItsClassAndMessage() throws Exception {
    HttpResponse<String> r = get(greet.webUrl() + "?name=x&times=-1");
    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(r.body())
        .isEqualTo(
            "{\"error\":\"web endpoint /web-e2e/greet: java.lang.IllegalArgumentException: times"
                + " is -1; allowed is >= 0\",\"exception\":\"java.lang.IllegalArgumentException\","
                + "\"message\":\"times is -1; allowed is >= 0\"}");
  }

  @Test
  void lowLevelEndpointGetsTheWholeRequestAndDecidesTheResponse() throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(echo.webUrl() + "/a/b?q=1"))
                .PUT(HttpRequest.BodyPublishers.ofString("body!"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(r.headers().firstValue("X-Echo-Method")).hasValue("PUT");
    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain");
    assertThat(r.body()).isEqualTo("/a/b?1 body!");
  }

  @Test
  void unknownPathsAndMethodsAreRefusedByTheGateway() throws Exception {
    String base = greet.webUrl().substring(0, greet.webUrl().indexOf("/web-e2e/"));
    assertThat(get(base + "/web-e2e/nope").statusCode()).isEqualTo(404);
    assertThat(get(greet.webUrl() + "/deeper?name=x&times=1").statusCode()).isEqualTo(404);
    HttpResponse<String> wrongMethod = post(greet.webUrl(), "{}");
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(wrongMethod.headers().firstValue("Allow")).hasValue("GET");
  }

  @Test
  void webUrlOutsideARunSaysSo() {
    App other = App.named("web-idle");
    WebEndpoint idle = other.webEndpoint(WebEndpointTest::greet);
    assertThatThrownBy(idle::webUrl)
        .isInstanceOf(SkiffException.class)
        .hasMessage(
            "app 'web-idle' is not running: web endpoint 'greet' has a URL only inside"
                + " try (var run = app.run()) { ... }");
  }

  private static Set<Long> pids() {
    return SkiffExtension.containerProcesses().stream()
        .map(ProcessHandle::pid)
        .collect(Collectors.toSet());
  }

  private static int containersOf(String function) {
    return run.status().stream()
        .filter(f -> f.name().equals(function))
        .mapToInt(f -> f.containers().size())
        .sum();
  }
}
