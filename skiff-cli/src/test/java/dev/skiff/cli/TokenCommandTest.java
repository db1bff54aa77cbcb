package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.internal.ClientConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
 * {@code skiff token create | list | revoke} against a long-running server the test starts with
 * {@code skiff server}, restarts, and calls over real HTTP through a deployed web endpoint that
 * requires auth.
 */
@Tag("e2e")
class TokenCommandTest {
  private static final Duration DEADLINE = Duration.ofMinutes(3);
  private static final Pattern LISTENING =
      Pattern.compile("Skiff server listening on (\\S+) \\(web endpoints at (\\S+)\\)");
  private static final Pattern CREATED =
      Pattern.compile(
          "created web token (wk-[a-z2-7]{20}) \\('ci'\\); send both headers, the secret is not"
              + " shown again:\nSkiff-Key: \\1\nSkiff-Secret: (ws-[A-Za-z0-9_-]{43})\n");

  private Path home;
  private CliProcess.Running server;
  private String web;

  @BeforeEach
  void startServer() throws IOException {
    home = Files.createTempDirectory("skiff-home-");
    startServerAgain();
  }

  private void startServerAgain() {
    server = CliProcess.start(home, Map.of(), "server", "--port", "0", "--web-port", "0");
    await().atMost(Duration.ofMinutes(2)).until(() -> LISTENING.matcher(server.output()).find());
    Matcher m = LISTENING.matcher(server.output());
    assertThat(m.find()).isTrue();
    web = m.group(2);
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

  private HttpResponse<String> hello(String... headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(web + "/guarded/hello?name=web"))
            .timeout(Duration.ofSeconds(90));
    if (headers.length > 0) {
      b.headers(headers);
    }
    // The server's web endpoints serve TLS with the certificate its client config pins.
    HttpClient http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .sslContext(
                ClientConfig.read(home.resolve("config.json")).orElseThrow().trust().sslContext())
            .build();
    return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void tokensAreCreatedListedSurviveARestartAndAreRevokedAtOnce() throws Exception {
    CliProcess.Result deployed = skiff("deploy", "skiff-cli/src/test/programs/GuardedGreeter.java");
    assertThat(deployed.exitCode()).as(deployed.err()).isZero();

    CliProcess.Result created = skiff("token", "create", "--name", "ci");
    assertThat(created.exitCode()).as(created.err()).isZero();
    Matcher m = CREATED.matcher(created.out());
    assertThat(m.matches()).as(created.out()).isTrue();
    String keyId = m.group(1);
    String secret = m.group(2);

    CliProcess.Result list = skiff("token", "list");
    assertThat(list.exitCode()).as(list.err()).isZero();
    assertThat(list.out())
        .containsPattern("(?m)^KEY ID +NAME +CREATED$")
        .containsPattern("(?m)^" + keyId + " +ci +\\S+Z$")
        .doesNotContain(secret);

    assertThat(hello("Skiff-Key", keyId, "Skiff-Secret", secret).body())
        .isEqualTo("\"Hello, web!\"");
    assertThat(hello().statusCode()).isEqualTo(401);
    // The server keeps a digest of the secret, never the secret.
    try (var files = Files.walk(home)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        assertThat(Files.readString(f, StandardCharsets.ISO_8859_1))
            .as("file %s", f)
            .doesNotContain(secret);
      }
    }

    server.close();
    startServerAgain();
    assertThat(skiff("token", "list").out()).containsPattern("(?m)^" + keyId + " +ci +\\S+Z$");
    HttpResponse<String> afterRestart = hello("Skiff-Key", keyId, "Skiff-Secret", secret);
    assertThat(afterRestart.statusCode()).as(afterRestart.body()).isEqualTo(200);

    CliProcess.Result revoked = skiff("token", "revoke", keyId);
    assertThat(revoked.exitCode()).as(revoked.err()).isZero();
    assertThat(revoked.out()).isEqualTo("revoked web token " + keyId + "\n");
    HttpResponse<String> refused = hello("Skiff-Key", keyId, "Skiff-Secret", secret);
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(refused.body())
        .isEqualTo(
            "{\"error\":\"web endpoint /guarded/hello refused the web token '"
                + keyId
                + "': no"
                + " such key id, revoked, or the wrong secret\"}");
    assertThat(skiff("token", "list").out()).doesNotContain(keyId);

    CliProcess.Result again = skiff("token", "revoke", keyId);
    assertThat(again.exitCode()).isEqualTo(1);
    assertThat(again.err())
        .isEqualTo(
            "skiff: web token '"
                + keyId
                + "' not found; 'skiff token list' shows the web"
                + " tokens\n");
  }

  @Test
  void aWebTokenIsNoCredentialForTheCliAndBadNamesAreRefused() {
    CliProcess.Result created = skiff("token", "create");
    assertThat(created.exitCode()).as(created.err()).isZero();
    String secret =
        created
            .out()
            .lines()
            .filter(l -> l.startsWith("Skiff-Secret: "))
            .findFirst()
            .orElseThrow()
            .substring("Skiff-Secret: ".length());
    Matcher m = LISTENING.matcher(server.output());
    assertThat(m.find()).isTrue();

    CliProcess.Result stolen =
        CliProcess.run(
            home,
            Map.of(
                "SKIFF_SERVER", m.group(1),
                "SKIFF_TOKEN", secret,
                "SKIFF_TLS_CA", home.resolve("data/tls/cert.pem").toString()),
            DEADLINE,
            "token",
            "create");
    assertThat(stolen.exitCode()).isEqualTo(1);
    assertThat(stolen.err())
        .isEqualTo(
            "skiff: the Skiff control plane at "
                + m.group(1)
                + " refused this client: invalid"
                + " token (the token from the SKIFF_TOKEN environment variable)\n");

    CliProcess.Result badName = skiff("token", "create", "--name", "no/slash");
    assertThat(badName.exitCode()).isEqualTo(1);
    assertThat(badName.err())
        .isEqualTo(
            "skiff: web token name 'no/slash' is not allowed; use 1-64 of [A-Za-z0-9_.-],"
                + " starting with a letter or digit\n");
  }
}
