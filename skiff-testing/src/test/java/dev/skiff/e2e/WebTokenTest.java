package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skiff.App;
import dev.skiff.AppRun;
import dev.skiff.Function0;
import dev.skiff.InvalidConfigurationException;
import dev.skiff.RunOptions;
import dev.skiff.WebEndpoint;
import dev.skiff.WebRequest;
import dev.skiff.WebResponse;
import dev.skiff.WebToken;
import dev.skiff.internal.ContainerContext;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.CreateWebTokenRequest;
import dev.skiff.proto.ListAppsRequest;
import dev.skiff.proto.RevokeWebTokenRequest;
import dev.skiff.proto.TokenApiGrpc;
import dev.skiff.testing.SkiffExtension;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The credentials of web endpoints, attacked over real HTTP against a real control plane and real
 * sandboxed containers: the function behind each endpoint answers with every header it received, so
 * the tests see exactly what reached function code.
 */
@Tag("e2e")
class WebTokenTest {
  @RegisterExtension
  static final SkiffExtension skiff = SkiffExtension.builder().withoutWarmContainers().build();

  static final App app = App.named("web-tokens");
  static final WebEndpoint guarded = app.webEndpoint(WebTokenTest::guarded, w -> w.requiresAuth());
  static final WebEndpoint open = app.webEndpoint(WebTokenTest::open);
  static final Function0<String> mint = app.function(WebTokenTest::mint);

  private static final ObjectMapper JSON = new ObjectMapper();

  static WebResponse guarded(WebRequest request) throws Exception {
    return WebResponse.json(200, JSON.writeValueAsString(request.headers()));
  }

  static WebResponse open(WebRequest request) throws Exception {
    return WebResponse.json(200, JSON.writeValueAsString(request.headers()));
  }

  /**
   * Hostile function code: takes the container's own token (which the SDK holds in the container)
   * and tries to mint itself a web token with it.
   */
  static String mint() {
    SkiffClient client = ContainerContext.current().orElseThrow().client();
    try {
      return "minted "
          + TokenApiGrpc.newBlockingStub(client.channel())
              .createWebToken(CreateWebTokenRequest.newBuilder().setName("stolen").build())
              .getToken()
              .getKeyId();
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode() + ": " + e.getStatus().getDescription();
    }
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
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(90));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The headers the function saw, by lower-case name. */
  private static Map<String, List<String>> seen(HttpResponse<String> response) throws Exception {
    Map<String, List<String>> headers =
        JSON.readValue(response.body(), new TypeReference<Map<String, List<String>>>() {});
    Map<String, List<String>> lower = new TreeMap<>();
    headers.forEach((k, v) -> lower.put(k.toLowerCase(Locale.ROOT), v));
    return lower;
  }

  private static String clientTokenRefusal(String path) {
    return "{\"error\":\"web endpoint "
        + path
        + " takes web tokens, not the client token: create"
        + " one with 'skiff token create' and send its key id and secret in the Skiff-Key and"
        + " Skiff-Secret headers\"}";
  }

  private static String[] headers(WebToken token, String... more) {
    List<String> all = new ArrayList<>();
    token.headers().forEach((k, v) -> all.addAll(List.of(k, v)));
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  @Test
  void webTokenAdmitsTheRequestAndNoCredentialReachesTheFunction() throws Exception {
    WebToken token = run.createWebToken("e2e");
    assertThat(token.keyId()).matches("wk-[a-z2-7]{20}");
    assertThat(token.secret()).startsWith("ws-");
    assertThat(token.toString()).doesNotContain(token.secret());

    HttpResponse<String> r =
        get(
            guarded.webUrl(),
            headers(token, "Authorization", "Basic dXNlcjpwdw==", "X-Probe", "1"));

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    Map<String, List<String>> seen = seen(r);
    assertThat(seen).containsEntry("x-probe", List.of("1"));
    // The function's own credentials scheme still reaches it; Skiff's never does.
    assertThat(seen).containsEntry("authorization", List.of("Basic dXNlcjpwdw=="));
    assertThat(seen).doesNotContainKeys("skiff-key", "skiff-secret");
    assertThat(r.body()).doesNotContain(token.secret()).doesNotContain(skiff.token());
  }

  @Test
  void skiffHeadersAreStrippedOnEndpointsWithoutAuthToo() throws Exception {
    HttpResponse<String> r =
        get(
            open.webUrl(),
            "Skiff-Key",
            "wk-anything",
            "Skiff-Secret",
            "ws-anything",
            "X-Probe",
            "2");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(seen(r))
        .containsEntry("x-probe", List.of("2"))
        .doesNotContainKeys("skiff-key", "skiff-secret");
  }

  @Test
  void clientTokenAsBearerIsRefusedAndNeverReachesTheFunction() throws Exception {
    HttpResponse<String> r =
        get(guarded.webUrl(), "Authorization", "Bearer " + skiff.token(), "X-Probe", "1");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(401);
    assertThat(r.body()).isEqualTo(clientTokenRefusal("/web-tokens/guarded"));
    // Even next to a valid web token.
    WebToken token = run.createWebToken("");
    HttpResponse<String> both =
        get(guarded.webUrl(), headers(token, "Authorization", "Bearer " + skiff.token()));
    assertThat(both.statusCode()).as(both.body()).isEqualTo(401);
    assertThat(both.body()).isEqualTo(clientTokenRefusal("/web-tokens/guarded"));
  }

  @Test
  void missingWrongAndRevokedWebTokensAre401() throws Exception {
    String path = "/web-tokens/guarded";
    HttpResponse<String> none = get(guarded.webUrl());
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Skiff-Key realm=\"skiff\"");
    assertThat(none.body())
        .isEqualTo(
            "{\"error\":\"web endpoint "
                + path
                + " requires auth: send a web token's key id and"
                + " secret in the Skiff-Key and Skiff-Secret headers (create one with 'skiff"
                + " token create')\"}");

    WebToken token = run.createWebToken("revoked-later");
    HttpResponse<String> wrongSecret =
        get(guarded.webUrl(), "Skiff-Key", token.keyId(), "Skiff-Secret", token.secret() + "x");
    assertThat(wrongSecret.statusCode()).isEqualTo(401);
    assertThat(wrongSecret.body()).isEqualTo(refused(path, token.keyId()));
    HttpResponse<String> keyOnly = get(guarded.webUrl(), "Skiff-Key", token.keyId());
    assertThat(keyOnly.statusCode()).isEqualTo(401);
    HttpResponse<String> otherKey =
        get(
            guarded.webUrl(),
            "Skiff-Key",
            "wk-aaaaaaaaaaaaaaaaaaaa",
            "Skiff-Secret",
            token.secret());
    assertThat(otherKey.statusCode()).isEqualTo(401);
    assertThat(otherKey.body()).isEqualTo(refused(path, "wk-aaaaaaaaaaaaaaaaaaaa"));

    assertThat(get(guarded.webUrl(), headers(token)).statusCode()).isEqualTo(200);
    try (SkiffClient client = SkiffClient.connect(skiff.target(), skiff.token())) {
      TokenApiGrpc.newBlockingStub(client.channel())
          .revokeWebToken(RevokeWebTokenRequest.newBuilder().setKeyId(token.keyId()).build());
    }
    HttpResponse<String> revoked = get(guarded.webUrl(), headers(token));
    assertThat(revoked.statusCode()).isEqualTo(401);
    assertThat(revoked.body()).isEqualTo(refused(path, token.keyId()));
  }

  private static String refused(String path, String keyId) {
    return "{\"error\":\"web endpoint "
        + path
        + " refused the web token '"
        + keyId
        + "': no such"
        + " key id, revoked, or the wrong secret\"}";
  }

  @Test
  void webTokenIsNotACredentialForTheGrpcApi() {
    WebToken token = run.createWebToken("not-for-grpc");
    for (String bearer :
        List.of(token.secret(), token.keyId(), token.keyId() + ":" + token.secret())) {
      try (SkiffClient client = SkiffClient.connect(skiff.target(), bearer)) {
        assertRefusedAs(
            Status.Code.UNAUTHENTICATED,
            "invalid token",
            () -> client.blocking().listApps(ListAppsRequest.getDefaultInstance()));
        assertRefusedAs(
            Status.Code.UNAUTHENTICATED,
            "invalid token",
            () ->
                TokenApiGrpc.newBlockingStub(client.channel())
                    .createWebToken(CreateWebTokenRequest.getDefaultInstance()));
      }
    }
  }

  @Test
  void containerCannotMintItselfAWebToken() {
    assertThat(mint.remote())
        .isEqualTo(
            "PERMISSION_DENIED: the container token may not call CreateWebToken; a container token"
                + " may only run its own inputs, call and observe the functions of its own app, and"
                + " use its own app's blobs and the volumes its app mounts");
  }

  @Test
  void badTokenNameIsRefusedNamingWhatIsAllowed() {
    assertThatThrownBy(() -> run.createWebToken("no spaces"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage(
            "web token name 'no spaces' is not allowed; use 1-64 of [A-Za-z0-9_.-], starting with"
                + " a letter or digit");
  }

  private static void assertRefusedAs(Status.Code code, String description, Runnable call) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(code);
              assertThat(e.getStatus().getDescription()).isEqualTo(description);
            });
  }

  @Test
  void clientTokenAnywhereInTheRequestIsRefusedEvenByAnOpenEndpoint() throws Exception {
    HttpResponse<String> header =
        get(open.webUrl(), "Cookie", "session=" + skiff.token() + "; theme=dark");
    assertThat(header.statusCode()).as(header.body()).isEqualTo(401);
    assertThat(header.body()).isEqualTo(clientTokenRefusal("/web-tokens/open"));
    HttpResponse<String> query = get(open.webUrl() + "?token=" + skiff.token());
    assertThat(query.statusCode()).as(query.body()).isEqualTo(401);
    assertThat(query.body()).isEqualTo(clientTokenRefusal("/web-tokens/open"));
    HttpResponse<String> path = get(open.webUrl() + "/" + skiff.token());
    assertThat(path.statusCode()).as(path.body()).isEqualTo(401);
    assertThat(path.body()).isEqualTo(clientTokenRefusal("/web-tokens/open"));
    HttpResponse<String> body =
        http.send(
            HttpRequest.newBuilder(URI.create(open.webUrl()))
                .timeout(Duration.ofSeconds(90))
                .POST(HttpRequest.BodyPublishers.ofString("{\"key\": \"" + skiff.token() + "\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(body.statusCode()).as(body.body()).isEqualTo(401);
    assertThat(body.body()).isEqualTo(clientTokenRefusal("/web-tokens/open"));
  }
}
