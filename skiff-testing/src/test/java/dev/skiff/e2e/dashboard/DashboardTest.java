package dev.skiff.e2e.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skiff.AppRun;
import dev.skiff.FunctionStatus;
import dev.skiff.RunOptions;
import dev.skiff.server.secrets.SecretStore;
import dev.skiff.testing.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The dashboard of a real {@code skiff server}, in headless Chromium: a person logs in with the
 * client token, watches an app's functions, containers and logs, changes an autoscaler, and
 * undeploys an app; no page shows a secret's value. Screenshots of each page are written under
 * {@code target/dashboard-screenshots}.
 */
@Tag("e2e")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardTest {
  static final String NAMED_VALUE = "named-secret-value-91b7e2";

  static ServerProcess server;
  static String ui;

  @BeforeAll
  static void start() {
    server = ServerProcess.start();
    server.useInThisJvm();
    SecretStore.open(server.dataDir(), server.home().resolve("secret.key"), Clock.systemUTC())
        .put("dash-secret", Map.of("API_KEY", NAMED_VALUE));
    ui = server.webBaseUrl() + "/_skiff/ui/";
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  @Order(1)
  void aPersonWatchesAndSteersAnAppInTheDashboard() throws Exception {
    DashFns.stoppable.deploy();
    try (Browser browser = new Browser(1280);
        AppRun run = DashFns.app.run(RunOptions.quiet())) {
      // Not logged in: the login page; a wrong token is refused, saying so.
      browser.open(server.webBaseUrl() + "/");
      assertThat(browser.driver.getCurrentUrl()).endsWith("/_skiff/ui/login");
      logIn(browser, "not-the-token");
      assertThat(browser.driver.findElement(By.id("login-problem")).getText())
          .contains("not this server's client token");
      browser.screenshot("login-refused");
      logIn(browser, server.clientConfig().token());

      // The apps, with the running one and the deployed one.
      assertThat(DashFns.greet.remote("first")).isEqualTo("hello first");
      assertThat(DashFns.withSecrets.remote()).isEqualTo("API_KEY set: true, INLINE_KEY set: true");
      browser.open(ui);
      assertThat(row(browser, "apps", "dashboard-test").getText()).contains("running");
      assertThat(row(browser, "apps", "dashboard-stoppable").getText()).contains("deployed", "v1");
      browser.screenshot("apps");

      // The app: its functions and containers, refreshed in place.
      row(browser, "apps", "dashboard-test").findElement(By.linkText("dashboard-test")).click();
      assertThat(browser.driver.findElement(By.id("functions")).getText())
          .contains("greet", "fail", "withSecrets");
      // Its schedule with the next run, and the runs so far with their outcome.
      assertThat(browser.driver.findElement(By.id("schedules")).getText())
          .containsPattern("tick every 2.0 s [\\d-]+ [\\d:]+Z");
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                browser.driver.navigate().refresh();
                return !browser.driver.findElements(By.id("runs")).isEmpty()
                    && browser.driver.findElement(By.id("runs")).getText().contains("succeeded");
              });
      // Each container with its function, state, uptime, CPU time and memory.
      assertThat(browser.driver.findElement(By.id("containers")).getText())
          .containsPattern("c-\\w+ greet idle 0 [\\d.]+ (ms|s|min)[^\\n]* \\d+ MiB logs");
      browser.screenshot("app");

      // A function: its options, and an autoscaler change that takes effect.
      browser.driver.findElement(By.linkText("greet")).click();
      assertThat(browser.driver.findElement(By.id("options")).getText()).contains("DashFns.greet");
      WebElement min = browser.driver.findElement(By.id("min"));
      min.clear();
      min.sendKeys("1");
      browser.screenshot("function");
      browser.driver.findElement(By.cssSelector("#autoscaler button")).click();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> greetStatus(run).autoscaler().minContainers() == 1);
      assertThat(browser.driver.findElement(By.id("min")).getAttribute("value")).isEqualTo("1");
      // Its last hour as charts (drawn by the page's script from the minute statistics).
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> browser.driver.findElements(By.cssSelector("#charts canvas")).size() >= 4);
      assertThat(browser.driver.findElement(By.id("charts")).getText())
          .contains("Calls per minute", "Duration (ms)", "Error rate (%)", "Cold starts");
      browser.screenshot("function-charts");

      // Logs: the kept lines, then a line printed now arrives by itself.
      browser.driver.findElement(By.linkText("Logs of greet")).click();
      assertThat(browser.driver.findElement(By.id("log")).getText()).contains("greeting first");
      DashFns.greet.remote("live");
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> browser.driver.findElement(By.id("log")).getText().contains("greeting live"));
      browser.screenshot("logs");

      // Calls: the latest with their status and duration; a failed one shows its exception and
      // the remote frames.
      assertThatThrownBy(DashFns.fail::remote).hasMessageContaining("failed on purpose");
      browser.open(ui + "calls?app=" + run.appId());
      WebElement calls = browser.driver.findElement(By.id("calls"));
      assertThat(calls.getText())
          .containsPattern("greet remote succeeded [\\d-]+ [\\d:]+Z [\\d.]+ m?s 1")
          .contains("fail remote failed");
      browser.screenshot("calls");
      WebElement failed =
          calls.findElements(By.cssSelector("tr")).stream()
              .filter(r -> r.getText().contains("fail remote failed"))
              .findFirst()
              .orElseThrow();
      failed.findElement(By.tagName("a")).click();
      assertThat(browser.driver.findElement(By.id("error")).getText())
          .contains(
              "java.lang.IllegalStateException: the dashboard test failed on purpose",
              "at dev.skiff.e2e.dashboard.DashFns$Failing.deep(DashFns.java:");
      assertThat(browser.driver.findElement(By.id("attempts")).getText()).contains("c-");
      browser.screenshot("call-failed");
      // Search by call id.
      String callId = browser.driver.findElement(By.cssSelector("h1")).getText().substring(5);
      browser.open(ui + "calls");
      browser.driver.findElement(By.id("id")).sendKeys(callId);
      browser.driver.findElement(By.cssSelector("#call-search button")).click();
      assertThat(browser.driver.findElement(By.cssSelector("h1")).getText())
          .isEqualTo("Call " + callId);

      // Secrets by name and keys; volumes.
      browser.open(ui + "secrets");
      assertThat(row(browser, "secrets", "dash-secret").getText()).contains("API_KEY");
      browser.screenshot("secrets");
      browser.open(ui + "volumes");
      browser.screenshot("volumes");

      // Undeploy an app from the apps page (after confirming).
      browser.open(ui);
      row(browser, "apps", "dashboard-stoppable").findElement(By.tagName("button")).click();
      browser.driver.switchTo().alert().accept();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  browser
                      .driver
                      .findElements(By.cssSelector("tr[data-app=dashboard-stoppable]"))
                      .isEmpty());
      browser.screenshot("apps-after-undeploy");

      // The same pages at a phone's width.
      try (Browser narrow = new Browser(400)) {
        narrow.open(server.webBaseUrl() + "/");
        logIn(narrow, server.clientConfig().token());
        narrow.open(ui);
        narrow.screenshot("apps-narrow");
        assertThat(narrow.sources())
            .noneMatch(s -> s.contains(NAMED_VALUE) || s.contains(DashFns.INLINE_VALUE));
      }
      assertThat(browser.sources())
          .isNotEmpty()
          .noneMatch(s -> s.contains(NAMED_VALUE) || s.contains(DashFns.INLINE_VALUE));
    }
  }

  @Test
  @Order(2)
  void actionsNeedALoginAndTheSessionsCsrfToken() throws Exception {
    try (HttpClient http =
        HttpClient.newBuilder()
            .sslContext(server.sslContext())
            .followRedirects(HttpClient.Redirect.NEVER)
            .build()) {
      // Without a session: pages send to the login, actions are refused.
      assertThat(get(http, ui, "").headers().firstValue("Location")).contains("/_skiff/ui/login");
      assertThat(post(http, ui + "apps/stop", "", "id=ap-x&name=x").statusCode()).isEqualTo(401);

      HttpResponse<String> login =
          post(http, ui + "login", "", "token=" + server.clientConfig().token());
      assertThat(login.statusCode()).isEqualTo(303);
      String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
      assertThat(setCookie).contains("HttpOnly", "SameSite=Strict", "Secure", "Path=/_skiff/ui/");
      String cookie = setCookie.substring(0, setCookie.indexOf(';'));
      // Logged in, an action without the session's CSRF token is refused and changes nothing.
      DashFns.stoppable.deploy();
      HttpResponse<String> forged =
          post(http, ui + "apps/stop", cookie, "name=dashboard-stoppable&deployed=1&csrf=guess");
      assertThat(forged.statusCode()).isEqualTo(403);
      assertThat(forged.body()).contains("CSRF");
      HttpResponse<String> apps = get(http, ui, cookie);
      assertThat(apps.body()).contains("dashboard-stoppable");
      assertThat(apps.headers().firstValue("Content-Security-Policy"))
          .hasValueSatisfying(v -> assertThat(v).contains("frame-ancestors 'none'"));
    }
  }

  @Test
  @Order(3) // last: for a few seconds after it, no login is taken
  void wrongTokensAreCountedAndAfterAFewLoginsWait() throws Exception {
    try (HttpClient http = HttpClient.newBuilder().sslContext(server.sslContext()).build()) {
      int status = 0;
      for (int i = 0; i < 10 && status != 429; i++) {
        status = post(http, ui + "login", "", "token=wrong-" + i).statusCode();
      }
      assertThat(status).isEqualTo(429);
    }
  }

  private static FunctionStatus greetStatus(AppRun run) {
    return run.status().stream().filter(f -> f.name().equals("greet")).findFirst().orElseThrow();
  }

  private static void logIn(Browser browser, String token) {
    browser.driver.findElement(By.id("token")).sendKeys(token);
    browser.driver.findElement(By.cssSelector("form button")).click();
  }

  private static WebElement row(Browser browser, String table, String key) {
    return browser.driver.findElement(
        By.cssSelector(
            "#"
                + table
                + " tr[data-"
                + (table.equals("apps") ? "app" : "secret")
                + "='"
                + key
                + "']"));
  }

  private static HttpResponse<String> get(HttpClient http, String url, String cookie)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
    if (!cookie.isEmpty()) {
      b.header("Cookie", cookie);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> post(HttpClient http, String url, String cookie, String form)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form));
    if (!cookie.isEmpty()) {
      b.header("Cookie", cookie);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
