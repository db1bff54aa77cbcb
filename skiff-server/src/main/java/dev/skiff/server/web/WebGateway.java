package dev.skiff.server.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.ErrorInfo;
import dev.skiff.proto.ErrorKind;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.HttpField;
import dev.skiff.proto.HttpInput;
import dev.skiff.proto.HttpOutput;
import dev.skiff.proto.Result;
import dev.skiff.proto.WebEndpointDef;
import dev.skiff.server.auth.Tokens;
import dev.skiff.server.common.Statuses;
import dev.skiff.server.runtime.AppDirectory;
import dev.skiff.server.runtime.Failures;
import dev.skiff.server.runtime.FunctionInputs;
import dev.skiff.server.runtime.Input;
import dev.skiff.server.runtime.RunningApp;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * The HTTP gateway of the control plane: serves each web endpoint of a running app at {@code
 * http://127.0.0.1:PORT/<app name>/<label>} on loopback.
 *
 * <p><b>Requests are inputs.</b> The gateway does not load user classes. It turns an HTTP request
 * into an {@link HttpInput} (method, path below the endpoint, query, headers, body) and submits it
 * as an input of the endpoint's function through its {@link FunctionInputs}, so the function's
 * timeout, concurrency and autoscaling apply. The container maps the request onto the method's
 * parameters (or hands a raw endpoint the whole request) and answers with an {@link HttpOutput},
 * which the gateway sends back as it is.
 *
 * <p><b>Refused before any container is involved.</b> An unknown path (404), a method the endpoint
 * does not take (405, with {@code Allow}), a request that carries the client token anywhere (401),
 * a missing or wrong web token on an endpoint that requires auth (401, with {@code
 * WWW-Authenticate}), a body over {@link #MAX_BODY_BYTES} (413) and a simple POST endpoint's body
 * that is not a JSON object (400).
 *
 * <p><b>No credential reaches function code.</b> Endpoints that require auth take {@link WebTokens
 * web tokens} in the {@code Skiff-Key} and {@code Skiff-Secret} headers, which are never forwarded
 * (to any endpoint). The client token is refused wherever it appears in a request (path, query,
 * header, body), so a client that sends it by mistake learns so instead of handing it to a
 * function, which could use it to do anything the operator can.
 *
 * <p><b>Failures</b> of the input become JSON error bodies {@code {"error": "..."}}: the user's
 * exception 500 (with {@code exception} and {@code message}), a timeout 504, a crashed container
 * 502, a container that could not start or an app that stopped 503.
 *
 * <p>Routes are unique: an app whose endpoint path is taken by another running app is refused.
 * Thread-safe; each exchange runs on its own virtual thread.
 */
public final class WebGateway implements AppDirectory.Listener, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(WebGateway.class.getName());

  /** The largest request body accepted. */
  static final int MAX_BODY_BYTES = 16 * 1024 * 1024;

  /** How long past the function's own timeouts the gateway waits before it gives up itself. */
  private static final Duration GRACE = Duration.ofSeconds(30);

  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_\\-]{0,62}");
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One served endpoint.
   *
   * @param appId the app that serves it
   * @param path {@code /<app name>/<label>}
   * @param function the endpoint's function
   */
  private record Route(String appId, String path, FunctionInputs function) {
    WebEndpointDef def() {
      return function.def().getWebEndpoint();
    }
  }

  private final WebCredentials credentials;
  private final Duration defaultTimeout;
  private final ExecutorService executor;
  private final HttpServer server;
  private final String baseUrl;
  private final ConcurrentHashMap<String, Route> routes = new ConcurrentHashMap<>();

  private WebGateway(
      Tokens tokens,
      WebTokens webTokens,
      Duration defaultTimeout,
      InetSocketAddress address,
      Optional<SSLContext> tls)
      throws IOException {
    this.credentials = new WebCredentials(tokens, webTokens);
    this.defaultTimeout = defaultTimeout;
    this.executor =
        Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("skiff-web-", 0).factory());
    if (tls.isPresent()) {
      HttpsServer https = HttpsServer.create(address, 0);
      https.setHttpsConfigurator(new HttpsConfigurator(tls.get()));
      this.server = https;
    } else {
      this.server = HttpServer.create(address, 0);
    }
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
    this.baseUrl =
        (tls.isPresent() ? "https://" : "http://")
            + InetAddress.getLoopbackAddress().getHostAddress()
            + ":"
            + server.getAddress().getPort();
  }

  /**
   * Starts a gateway on a free loopback port.
   *
   * @param tokens whose client token the gateway refuses to pass on
   * @param webTokens the tokens that admit requests to endpoints that require auth
   * @param defaultTimeout the timeout of functions that set none
   * @throws UncheckedIOException if it cannot listen
   */
  public static WebGateway start(Tokens tokens, WebTokens webTokens, Duration defaultTimeout) {
    return start(
        tokens,
        webTokens,
        defaultTimeout,
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        Optional.empty());
  }

  /**
   * Starts a gateway listening on {@code address}, serving HTTPS with {@code tls} when given, else
   * plain HTTP.
   */
  public static WebGateway start(
      Tokens tokens,
      WebTokens webTokens,
      Duration defaultTimeout,
      InetSocketAddress address,
      Optional<SSLContext> tls) {
    try {
      return new WebGateway(tokens, webTokens, defaultTimeout, address, tls);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "could not start the Skiff web gateway on " + address + ": " + e.getMessage(), e);
    }
  }

  /** {@code http://127.0.0.1:PORT}, or {@code https://...} with TLS. */
  public String baseUrl() {
    return baseUrl;
  }

  /** Checks the web endpoints of an app definition; throws INVALID_ARGUMENT naming the problem. */
  public static void validate(CreateAppRequest request) {
    Set<String> labels = new HashSet<>();
    for (FunctionDef f : request.getFunctionsList()) {
      if (!f.hasWebEndpoint()) {
        continue;
      }
      String fn = "web endpoint '" + f.getName() + "' of app '" + request.getAppName() + "': ";
      WebEndpointDef w = f.getWebEndpoint();
      if (!LABEL.matcher(w.getLabel()).matches()) {
        throw Statuses.invalid(
            fn
                + "label '"
                + w.getLabel()
                + "' is not allowed; use 1-63 of [A-Za-z0-9_-],"
                + " starting with a letter or digit");
      }
      if (!labels.add(w.getLabel())) {
        throw Statuses.invalid(
            fn + "label '" + w.getLabel() + "' is used by another endpoint of the app");
      }
      if (!w.getRaw() && !w.getMethod().equals("GET") && !w.getMethod().equals("POST")) {
        throw Statuses.invalid(fn + "method is '" + w.getMethod() + "'; allowed is GET or POST");
      }
      if (f.getGenerator()) {
        throw Statuses.invalid(fn + "a generator cannot be a web endpoint");
      }
      if (f.getRetries().getMaxRetries() > 0) {
        throw Statuses.invalid(fn + "retries are not supported for web endpoints");
      }
      if (f.hasSchedule()) {
        throw Statuses.invalid(fn + "a web endpoint cannot have a schedule");
      }
    }
  }

  /** The URL of each web endpoint of an app, by function name. */
  public Map<String, String> urls(RunningApp app) {
    Map<String, String> urls = new LinkedHashMap<>();
    for (FunctionInputs f : app.functions().values()) {
      if (f.def().hasWebEndpoint()) {
        urls.put(f.name(), baseUrl + path(app, f));
      }
    }
    return urls;
  }

  private static String path(RunningApp app, FunctionInputs f) {
    return "/" + app.spec().name() + "/" + f.def().getWebEndpoint().getLabel();
  }

  @Override
  public void started(RunningApp app) {
    List<Route> added = new ArrayList<>();
    for (FunctionInputs f : app.functions().values()) {
      if (!f.def().hasWebEndpoint()) {
        continue;
      }
      String path = path(app, f);
      Route route = new Route(app.spec().id(), path, f);
      Route taken = routes.putIfAbsent(path, route);
      if (taken != null) {
        added.forEach(r -> routes.remove(r.path(), r));
        throw Statuses.failedPrecondition(
            "web endpoint "
                + path
                + " is already served by another run of app '"
                + app.spec().name()
                + "' ("
                + taken.appId()
                + "); stop that run first");
      }
      added.add(route);
      LOG.log(Level.DEBUG, "serving {0}{1}", baseUrl, path);
    }
  }

  @Override
  public void stopped(RunningApp app) {
    routes.values().removeIf(r -> r.appId().equals(app.spec().id()));
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  // ------------------------------------------------------------------------------ requests

  private void handle(HttpExchange exchange) {
    try (exchange) {
      try {
        serve(exchange);
      } catch (IOException e) {
        // The client went away.
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "web gateway failed on " + exchange.getRequestURI(), e);
        send(exchange, 500, error("internal error in the Skiff web gateway: " + e), Map.of());
      }
    } catch (IOException e) {
      // The client went away.
    }
  }

  private void serve(HttpExchange exchange) throws IOException {
    String rawPath = exchange.getRequestURI().getRawPath();
    String[] segments = rawPath.split("/", 4); // "", app, label, rest
    Route route = segments.length >= 3 ? routes.get("/" + segments[1] + "/" + segments[2]) : null;
    String rest = segments.length == 4 ? "/" + segments[3] : "";
    String method = exchange.getRequestMethod();
    if (route == null || (!route.def().getRaw() && !rest.isEmpty() && !rest.equals("/"))) {
      send(
          exchange,
          404,
          error(
              "no web endpoint at "
                  + rawPath
                  + "; endpoints are served at /<app name>/<label> while their app runs"),
          Map.of());
      return;
    }
    WebEndpointDef def = route.def();
    if (!def.getRaw() && !def.getMethod().equals(method)) {
      send(
          exchange,
          405,
          error(
              "web endpoint "
                  + route.path()
                  + " takes "
                  + def.getMethod()
                  + " requests, not "
                  + method),
          Map.of("Allow", def.getMethod()));
      return;
    }
    if (credentials.carriesClientToken(exchange)) {
      refuseClientToken(exchange, route);
      return;
    }
    if (def.getRequiresAuth()) {
      Optional<String> refusal = credentials.checkWebToken(exchange.getRequestHeaders());
      if (refusal.isPresent()) {
        send(
            exchange,
            401,
            error("web endpoint " + route.path() + " " + refusal.get()),
            Map.of("WWW-Authenticate", "Skiff-Key realm=\"skiff\""));
        return;
      }
    }
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readNBytes(MAX_BODY_BYTES + 1);
    }
    if (body.length > MAX_BODY_BYTES) {
      send(
          exchange,
          413,
          error(
              "the request body is over "
                  + MAX_BODY_BYTES
                  + " bytes, the most a web endpoint takes"),
          Map.of());
      return;
    }
    if (credentials.holdsClientToken(body)) {
      refuseClientToken(exchange, route);
      return;
    }
    if (!def.getRaw() && method.equals("POST")) {
      Optional<String> problem = notAJsonObject(body);
      if (problem.isPresent()) {
        send(exchange, 400, error("web endpoint " + route.path() + ": " + problem.get()), Map.of());
        return;
      }
    }
    HttpInput.Builder request =
        HttpInput.newBuilder().setMethod(method).setPath(rest).setBody(ByteString.copyFrom(body));
    query(exchange.getRequestURI().getRawQuery())
        .forEach(
            (name, values) ->
                values.forEach(
                    v -> request.addQuery(HttpField.newBuilder().setName(name).setValue(v))));
    exchange
        .getRequestHeaders()
        .forEach(
            (name, values) -> {
              if (!WebCredentials.isWebTokenHeader(name)) {
                values.forEach(
                    v -> request.addHeaders(HttpField.newBuilder().setName(name).setValue(v)));
              }
            });
    Result result = call(route, request.build());
    respond(exchange, route, result);
  }

  // ------------------------------------------------------------------------------ credentials

  private static void refuseClientToken(HttpExchange exchange, Route route) throws IOException {
    send(
        exchange,
        401,
        error(
            "web endpoint "
                + route.path()
                + " takes web tokens, not the client"
                + " token: create one with 'skiff token create' and send its key id and secret in the "
                + WebTokens.KEY_HEADER
                + " and "
                + WebTokens.SECRET_HEADER
                + " headers"),
        Map.of("WWW-Authenticate", "Skiff-Key realm=\"skiff\""));
  }

  private static Optional<String> notAJsonObject(byte[] body) {
    if (body.length == 0) {
      return Optional.of("the request body is empty; send a JSON object of the parameters");
    }
    try {
      JsonNode node = JSON.readTree(body);
      if (node == null || !node.isObject()) {
        return Optional.of(
            "the request body is not a JSON object; send an object of the"
                + " parameters, like {\"name\": \"value\"}");
      }
      return Optional.empty();
    } catch (JsonProcessingException e) {
      return Optional.of("the request body is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      return Optional.of("the request body could not be read: " + e.getMessage());
    }
  }

  /** Submits the request as an input and waits for its result (on this virtual thread). */
  private Result call(Route route, HttpInput request) {
    CompletableFuture<Result> done = new CompletableFuture<>();
    FunctionInputs function = route.function();
    Input input = function.newInput(request.toByteString(), done::complete);
    function.submit(input);
    FunctionDef def = function.def();
    Duration timeout =
        def.getTimeoutMs() > 0 ? Duration.ofMillis(def.getTimeoutMs()) : defaultTimeout;
    Duration startup =
        def.getStartupTimeoutMs() > 0 ? Duration.ofMillis(def.getStartupTimeoutMs()) : timeout;
    Duration limit = timeout.plus(startup).plus(GRACE);
    try {
      return done.get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      function.cancel(input, "the web request outlived its timeout");
      return Failures.result(
          Failures.error(
              ErrorKind.TIMEOUT,
              "web endpoint " + route.path() + " did not answer within " + Failures.format(limit)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      function.cancel(input, "the web gateway is shutting down");
      return Failures.cancelled("the web gateway is shutting down");
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  private void respond(HttpExchange exchange, Route route, Result result) throws IOException {
    if (result.hasError()) {
      ErrorInfo e = result.getError();
      String where = "web endpoint " + route.path() + ": ";
      switch (e.getKind()) {
        case USER_EXCEPTION -> {
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("error", where + e.getClassName() + ": " + e.getMessage());
          body.put("exception", e.getClassName());
          body.put("message", e.getMessage());
          send(exchange, 500, json(body), Map.of());
        }
        case TIMEOUT, STARTUP_TIMEOUT ->
            send(exchange, 504, error(where + e.getMessage()), Map.of());
        case CONTAINER_CRASHED -> send(exchange, 502, error(where + e.getMessage()), Map.of());
        case STARTUP_FAILED, CANCELLED ->
            send(exchange, 503, error(where + e.getMessage()), Map.of());
        case INVALID_ARGUMENT -> send(exchange, 400, error(where + e.getMessage()), Map.of());
        default ->
            send(exchange, 500, error(where + e.getKind() + ": " + e.getMessage()), Map.of());
      }
      return;
    }
    HttpOutput out;
    try {
      out = HttpOutput.parseFrom(result.getValue());
    } catch (InvalidProtocolBufferException e) {
      send(
          exchange,
          502,
          error(
              "web endpoint " + route.path() + ": the container's answer is not an HTTP response"),
          Map.of());
      return;
    }
    for (HttpField h : out.getHeadersList()) {
      exchange.getResponseHeaders().add(h.getName(), h.getValue());
    }
    byte[] body = out.getBody().toByteArray();
    int status = out.getStatus() == 0 ? 200 : out.getStatus();
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      exchange.getResponseBody().write(body);
    }
  }

  private static void send(
      HttpExchange exchange, int status, byte[] json, Map<String, String> headers)
      throws IOException {
    headers.forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, json.length);
    exchange.getResponseBody().write(json);
  }

  private static byte[] error(String message) {
    return json(Map.of("error", message));
  }

  private static byte[] json(Map<String, Object> body) {
    try {
      return JSON.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The decoded query parameters, each with its values in order. */
  static Map<String, List<String>> query(String rawQuery) {
    Map<String, List<String>> query = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return query;
    }
    for (String pair : rawQuery.split("&", -1)) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      query.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }
    return query;
  }

  static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s;
    }
  }
}
