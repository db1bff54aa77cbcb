package dev.skiff.server.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.skiff.WebEndpointOptions;
import dev.skiff.proto.CallKind;
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
import dev.skiff.server.metrics.Metrics;
import dev.skiff.server.runtime.AppDirectory;
import dev.skiff.server.runtime.CallOrigin;
import dev.skiff.server.runtime.Failures;
import dev.skiff.server.runtime.FunctionInputs;
import dev.skiff.server.runtime.Input;
import dev.skiff.server.runtime.RunningApp;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.ConnectionLimit;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * The HTTP gateway of the control plane: serves each web endpoint of a running app at {@code
 * http://127.0.0.1:PORT/<app name>/<label>} on loopback, over HTTP/1.1 and HTTP/2 (with TLS,
 * negotiated by ALPN; without, by prior knowledge or upgrade), on a Jetty server whose handlers run
 * on virtual threads.
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
 * WWW-Authenticate}), a body over the endpoint's {@code maxBodyBytes} (413, told by its {@code
 * Content-Length} before it is read, or as it arrives), a simple POST endpoint's body that is not a
 * JSON object (400).
 *
 * <p><b>Bounded under load.</b> Each endpoint takes at most its {@code maxConcurrentRequests} at
 * once (429 beyond); all bodies held at once fit in {@link WebLimits#maxBufferedMib} (503 beyond);
 * both say {@code Retry-After}. A body must arrive within {@link WebLimits#readTimeout} (408), a
 * connection that sends nothing for {@link WebLimits#idleTimeout} is closed, and at most {@link
 * WebLimits#maxConnections} are open. A client that goes away while its request waits has its input
 * cancelled ({@link ClientWatch}).
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
 *
 * <p><b>The gateway's own paths</b> start with {@code /_skiff/} and are answered before any route
 * (app names start with a letter or digit): the jar endpoint {@code GET /_skiff/jars/<sha256>}
 * ({@link JarEndpoint}), from which pods on other machines fetch their app's jars with their
 * container token, and the dashboard's pages at {@code /} and under {@code /_skiff/ui/} ({@link
 * WebUi}). Its operational paths are single segments, which no route has (routes are {@code /<app
 * name>/<label>}), so that an app named {@code metrics} neither shadows them nor is shadowed:
 * {@code GET /healthz} (200 while the gateway serves), {@code GET /readyz} (200 when the control
 * plane is ready, else 503 with the reason as plain text) and {@code GET /metrics} (the control
 * plane's meters in Prometheus's text format, behind a bearer token when one is set; see {@link
 * Operations}). Every answer but the dashboard's is counted by status code. Thread-safe.
 */
public final class WebGateway implements AppDirectory.Listener, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(WebGateway.class.getName());

  /** How long past the function's own timeouts the gateway waits before it gives up itself. */
  private static final Duration GRACE = Duration.ofSeconds(30);

  /** What a refused request is told to wait before it tries again, in seconds. */
  private static final String RETRY_AFTER_SECONDS = "1";

  /** The most bytes of a refused request's body that are read and dropped, to end it cleanly. */
  private static final int DISCARD_LIMIT = 64 * 1024;

  /** Bodies of unknown length are read in pieces of at most this many bytes. */
  private static final int READ_STEP = 64 * 1024;

  /** Headers of a function's response that the gateway sets itself, as it frames the answer. */
  private static final Set<String> FRAMING_HEADERS =
      Set.of("content-length", "transfer-encoding", "connection", "keep-alive", "upgrade");

  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_\\-]{0,62}");
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One served endpoint.
   *
   * @param appId the app that serves it
   * @param path {@code /<app name>/<label>}
   * @param function the endpoint's function
   * @param requests a permit per request the endpoint takes at once
   */
  private record Route(String appId, String path, FunctionInputs function, Semaphore requests) {
    WebEndpointDef def() {
      return function.def().getWebEndpoint();
    }

    long maxBodyBytes() {
      long max = def().getMaxBodyBytes();
      return max > 0 ? max : WebEndpointOptions.DEFAULT_MAX_BODY_BYTES;
    }

    static int maxConcurrentRequests(WebEndpointDef def) {
      int max = def.getMaxConcurrentRequests();
      return max > 0 ? max : WebEndpointOptions.DEFAULT_MAX_CONCURRENT_REQUESTS;
    }
  }

  /** A request answered with a status of the gateway's own, before or instead of any input. */
  private static final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final transient Map<String, String> headers;

    Refusal(int status, String message, Map<String, String> headers) {
      super(message, null, false, false);
      this.status = status;
      this.headers = headers;
    }
  }

  /** Where the gateway says it is alive: 200 while it serves. */
  static final String HEALTHZ = "/healthz";

  /** Where it says whether the control plane is ready ({@link Operations#readiness()}). */
  static final String READYZ = "/readyz";

  /** Where it serves the control plane's meters ({@link Operations#metrics()}). */
  static final String METRICS = "/metrics";

  private static final String PLAIN_TEXT = "text/plain; charset=utf-8";

  /**
   * What the gateway's operational paths answer from.
   *
   * @param metrics the control plane's meters, served at {@code /metrics}; the gateway counts its
   *     answers there too
   * @param readiness why the control plane is not ready to serve, if it is not ({@code /readyz}:
   *     503 with that reason); called on a request's thread, it must answer within a few seconds
   * @param metricsToken the token {@code /metrics} requires as {@code Authorization: Bearer};
   *     empty: none (the meters name apps and functions and count their work, and hold no secret)
   */
  public record Operations(
      Metrics metrics, Supplier<Optional<String>> readiness, Optional<String> metricsToken) {
    /** Fresh meters, always ready, no token: for a gateway on its own (tests). */
    public static Operations standalone() {
      return new Operations(Metrics.create(), Optional::empty, Optional.empty());
    }
  }

  private final Operations operations;
  private final WebCredentials credentials;
  private final JarEndpoint jarEndpoint;
  private final Duration defaultTimeout;
  private final WebLimits limits;
  private final BodyBudget buffered;
  private final ExecutorService handlers;
  private final Server server;
  private final String baseUrl;
  private final ConcurrentHashMap<String, Route> routes = new ConcurrentHashMap<>();
  private volatile Optional<Elsewhere> elsewhere = Optional.empty();
  private volatile WebUi ui;
  // The clients that forward to other replicas, by the certificate they trust ("": plain HTTP).
  private final ConcurrentHashMap<String, HttpClient> peers = new ConcurrentHashMap<>();

  /**
   * Where the requests for apps that another replica runs go (several replicas on one database).
   */
  public interface Elsewhere {
    /** This replica's id, sent with a forwarded request. */
    String replicaId();

    /** Where requests for the app {@code appName} go, if not here. */
    Peer route(String appName);
  }

  /** Where a request for an app that does not run here goes. */
  public sealed interface Peer {
    /** Nowhere: no replica runs it (404). */
    record None() implements Peer {}

    /** The replica with this web address runs it; forward the request there. */
    record At(String id, String webAddress, Optional<String> certificatePem) implements Peer {}

    /** It is moving between replicas (503, retry soon). */
    record Moving(String why) implements Peer {}
  }

  /** The header of a request that another replica forwarded: that replica's id. */
  static final String FORWARDED_BY = "X-Skiff-Forwarded-By";

  /** Headers a forwarded request or its answer does not carry on (hop by hop, or set anew). */
  private static final Set<String> NOT_FORWARDED =
      Set.of(
          "connection",
          "content-length",
          "content-type",
          "expect",
          "host",
          "keep-alive",
          "proxy-authenticate",
          "proxy-authorization",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade",
          "date",
          "server",
          ":status",
          FORWARDED_BY.toLowerCase(Locale.ROOT));

  /**
   * Serves {@code pages} at {@code /} and under {@link WebUi#PREFIX}; until called, those paths are
   * answered as any other (404).
   */
  public void serveUi(WebUi pages) {
    this.ui = pages;
  }

  private static void serveUi(WebUi pages, JettyUiExchange exchange) {
    try {
      pages.serve(exchange);
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "web pages failed on " + exchange.path(), e);
    }
    if (!exchange.answered()) {
      exchange.respond(
          500,
          Map.of(),
          "text/plain;charset=utf-8",
          "internal error in Skiff's web pages; see the server's log"
              .getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * Serves the stored jars of {@code jars} at {@code /_skiff/jars/<sha256>} to containers of the
   * apps whose classpath holds them ({@link JarEndpoint}); until called, every jar is unknown
   * (404).
   */
  public void serveJars(JarEndpoint.Jars jars) {
    jarEndpoint.serve(jars);
  }

  /**
   * Forwards requests for apps that another replica runs to that replica's gateway ({@code
   * elsewhere}); without it, they are answered 404.
   */
  public void forwardTo(Elsewhere elsewhere) {
    this.elsewhere = Optional.of(elsewhere);
  }

  private WebGateway(
      Tokens tokens,
      WebTokens webTokens,
      Duration defaultTimeout,
      WebLimits limits,
      InetSocketAddress address,
      Optional<SSLContext> tls,
      Operations operations)
      throws Exception {
    this.operations = operations;
    this.credentials = new WebCredentials(tokens, webTokens);
    this.jarEndpoint = new JarEndpoint(tokens);
    this.defaultTimeout = defaultTimeout;
    this.limits = limits;
    this.buffered = new BodyBudget(limits.maxBufferedBytes());
    this.handlers =
        Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("skiff-web-", 0).factory());
    // Platform threads for Jetty's selectors and acceptors only (their number grows with the
    // cores, so Jetty's own maximum stays); handlers run on virtual threads.
    QueuedThreadPool threads = new QueuedThreadPool();
    threads.setMinThreads(2);
    threads.setName("skiff-web-io");
    threads.setVirtualThreadsExecutor(handlers);
    this.server = new Server(threads);
    server.setStopTimeout(0);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    ServerConnector connector;
    if (tls.isPresent()) {
      SecureRequestCustomizer secure = new SecureRequestCustomizer();
      secure.setSniHostCheck(false); // the certificate is the operator's; clients check it
      http.addCustomizer(secure);
      SslContextFactory.Server ssl = new SslContextFactory.Server();
      ssl.setSslContext(tls.get());
      ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory("h2", "http/1.1");
      alpn.setDefaultProtocol("http/1.1");
      connector =
          new ServerConnector(
              server,
              new SslConnectionFactory(ssl, alpn.getProtocol()),
              alpn,
              new HTTP2ServerConnectionFactory(http),
              new HttpConnectionFactory(http));
    } else {
      connector =
          new ServerConnector(
              server, new HttpConnectionFactory(http), new HTTP2CServerConnectionFactory(http));
    }
    connector.setHost(address.getAddress().getHostAddress());
    connector.setPort(address.getPort());
    connector.setIdleTimeout(limits.idleTimeout().toMillis());
    server.addConnector(connector);
    server.addBean(new ConnectionLimit(limits.maxConnections(), connector));
    server.setHandler(
        new Handler.Abstract() {
          @Override
          public boolean handle(Request request, Response response, Callback callback) {
            String path = request.getHttpURI().getPath();
            WebUi pages = ui;
            if (pages != null && (path.equals("/") || path.startsWith(WebUi.PREFIX))) {
              serveUi(pages, new JettyUiExchange(request, response, callback));
            } else {
              WebGateway.this.handle(request, response, callback);
            }
            return true;
          }
        });
    try {
      server.start();
    } catch (Exception e) {
      server.stop();
      handlers.shutdownNow();
      throw e;
    }
    this.baseUrl =
        (tls.isPresent() ? "https://" : "http://")
            + InetAddress.getLoopbackAddress().getHostAddress()
            + ":"
            + connector.getLocalPort();
  }

  /**
   * Starts a gateway on a free loopback port, with the default limits.
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
        WebLimits.defaults(),
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        Optional.empty(),
        Operations.standalone());
  }

  /**
   * Starts a gateway listening on {@code address}, serving HTTPS with {@code tls} when given, else
   * plain HTTP, with its operational paths answered from {@code operations}.
   */
  public static WebGateway start(
      Tokens tokens,
      WebTokens webTokens,
      Duration defaultTimeout,
      WebLimits limits,
      InetSocketAddress address,
      Optional<SSLContext> tls,
      Operations operations) {
    try {
      return new WebGateway(tokens, webTokens, defaultTimeout, limits, address, tls, operations);
    } catch (Exception e) {
      throw new UncheckedIOException(
          "could not start the Skiff web gateway on " + address + ": " + e.getMessage(),
          e instanceof IOException io ? io : new IOException(e));
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
      if (request.getAppName().startsWith("_")) {
        // The SDK never makes such a name; a raw client could, and its endpoints would sit under
        // the gateway's own paths (JarEndpoint.RESERVED), which are answered first.
        throw Statuses.invalid(
            "app '"
                + request.getAppName()
                + "' cannot have web endpoints: app names start with a letter or digit, and paths"
                + " under /_ are the gateway's own");
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
      if (w.getMaxBodyBytes() < 0 || w.getMaxBodyBytes() > WebEndpointOptions.MAX_BODY_BYTES) {
        throw Statuses.invalid(
            fn
                + "maxBodyBytes is "
                + w.getMaxBodyBytes()
                + "; allowed is 1.."
                + WebEndpointOptions.MAX_BODY_BYTES);
      }
      if (w.getMaxConcurrentRequests() < 0
          || w.getMaxConcurrentRequests() > WebEndpointOptions.MAX_CONCURRENT_REQUESTS) {
        throw Statuses.invalid(
            fn
                + "maxConcurrentRequests is "
                + w.getMaxConcurrentRequests()
                + "; allowed is 1.."
                + WebEndpointOptions.MAX_CONCURRENT_REQUESTS);
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
      Route route =
          new Route(
              app.spec().id(),
              path,
              f,
              new Semaphore(Route.maxConcurrentRequests(f.def().getWebEndpoint())));
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
    try {
      server.stop();
    } catch (Exception e) {
      LOG.log(Level.WARNING, "the web gateway did not stop cleanly", e);
    }
    handlers.shutdownNow(); // requests still waiting cancel their inputs
    peers.values().forEach(HttpClient::shutdownNow);
  }

  // ------------------------------------------------------------------------------ requests

  /** One request and how it is answered: at most once. */
  private static final class Exchange {
    final Request request;
    final Response response;
    final Callback callback;
    final String rawPath;
    final String method;
    private final Metrics metrics;
    private final AtomicBoolean answered = new AtomicBoolean();
    boolean closeConnection;
    boolean bodyRead; // reading the body began

    Exchange(Request request, Response response, Callback callback, Metrics metrics) {
      this.metrics = metrics;
      this.request = request;
      this.response = response;
      this.callback = callback;
      this.rawPath = request.getHttpURI().getPath();
      this.method = request.getMethod();
    }

    void send(int status, byte[] body, Map<String, String> headers, String contentType) {
      if (!answered.compareAndSet(false, true)) {
        return;
      }
      metrics.webRequest(status);
      response.setStatus(status);
      headers.forEach((k, v) -> response.getHeaders().add(k, v));
      if (contentType != null) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
      }
      // HTTP/2 has no Connection header: there a body left unread resets the stream alone.
      if (closeConnection
          && request.getConnectionMetaData().getHttpVersion() != HttpVersion.HTTP_2) {
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
      }
      response.write(true, ByteBuffer.wrap(body), callback);
    }

    /** Sends a jar, streamed from its file; a read that fails ends the response as failed. */
    void sendFile(Path file, long size) {
      if (!answered.compareAndSet(false, true)) {
        return;
      }
      metrics.webRequest(200);
      response.setStatus(200);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, JarEndpoint.CONTENT_TYPE);
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, size);
      try (InputStream in = Files.newInputStream(file);
          OutputStream out = Content.Sink.asOutputStream(response)) {
        in.transferTo(out);
      } catch (IOException e) {
        LOG.log(Level.WARNING, "could not send " + file, e);
        callback.failed(e);
        return;
      }
      callback.succeeded();
    }

    void sendJson(int status, byte[] json, Map<String, String> headers) {
      send(status, json, headers, "application/json");
    }
  }

  private void handle(Request request, Response response, Callback callback) {
    Exchange exchange = new Exchange(request, response, callback, operations.metrics());
    try {
      serve(exchange);
    } catch (Refusal r) {
      if (!exchange.bodyRead && !exchange.closeConnection) {
        discardSmallBody(exchange);
      }
      exchange.sendJson(r.status, error(r.getMessage()), r.headers);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "web gateway failed on " + exchange.rawPath, e);
      exchange.sendJson(500, error("internal error in the Skiff web gateway: " + e), Map.of());
    }
  }

  private void serve(Exchange exchange) throws Refusal {
    // The gateway's own paths come before every app's route, so that none can shadow them.
    if (serveOperational(exchange)) {
      return;
    }
    if (exchange.rawPath.startsWith(JarEndpoint.RESERVED)) {
      serveJar(exchange);
      return;
    }
    String[] segments = exchange.rawPath.split("/", 4); // "", app, label, rest
    Route route = segments.length >= 3 ? routes.get("/" + segments[1] + "/" + segments[2]) : null;
    String rest = segments.length == 4 ? "/" + segments[3] : "";
    String method = exchange.method;
    if (route == null && segments.length >= 3 && elsewhere.isPresent()) {
      forwardIfElsewhere(exchange, segments[1], elsewhere.get());
      if (exchange.answered.get()) {
        return;
      }
    }
    if (route == null || (!route.def().getRaw() && !rest.isEmpty() && !rest.equals("/"))) {
      throw new Refusal(
          404,
          "no web endpoint at "
              + exchange.rawPath
              + "; endpoints are served at /<app name>/<label> while their app runs",
          Map.of());
    }
    WebEndpointDef def = route.def();
    if (!def.getRaw() && !def.getMethod().equals(method)) {
      throw new Refusal(
          405,
          "web endpoint " + route.path() + " takes " + def.getMethod() + " requests, not " + method,
          Map.of("Allow", def.getMethod()));
    }
    Request request = exchange.request;
    String rawQuery = request.getHttpURI().getQuery();
    if (credentials.carriesClientToken(exchange.rawPath, rawQuery, request.getHeaders())) {
      throw clientTokenRefusal(route);
    }
    if (def.getRequiresAuth()) {
      Optional<String> refusal = credentials.checkWebToken(request.getHeaders());
      if (refusal.isPresent()) {
        throw new Refusal(
            401,
            "web endpoint " + route.path() + " " + refusal.get(),
            Map.of("WWW-Authenticate", "Skiff-Key realm=\"skiff\""));
      }
    }
    if (!route.requests().tryAcquire()) {
      exchange.closeConnection = true; // its body, if any, is not read
      throw new Refusal(
          429,
          "web endpoint "
              + route.path()
              + " is serving "
              + Route.maxConcurrentRequests(def)
              + " requests, the most it takes at once; retry later, or raise its"
              + " maxConcurrentRequests",
          Map.of("Retry-After", RETRY_AFTER_SECONDS));
    }
    long[] held = {0};
    try {
      byte[] body = readBody(exchange, route, held);
      if (credentials.holdsClientToken(body)) {
        throw clientTokenRefusal(route);
      }
      if (!def.getRaw() && method.equals("POST")) {
        Optional<String> problem = notAJsonObject(body);
        if (problem.isPresent()) {
          throw new Refusal(400, "web endpoint " + route.path() + ": " + problem.get(), Map.of());
        }
      }
      ByteString input = httpInput(exchange, rest, body).toByteString();
      body = null; // only the encoded input is kept from here on
      Result result = call(exchange, route, input);
      respond(exchange, route, result);
    } finally {
      buffered.give(held[0]);
      route.requests().release();
    }
  }

  /**
   * Answers {@code /healthz}, {@code /readyz} and {@code /metrics}; false for any other path. These
   * are single segments, which no route has, so that they and app routes never shadow each other.
   */
  private boolean serveOperational(Exchange exchange) throws Refusal {
    String path = exchange.rawPath;
    if (!path.equals(HEALTHZ) && !path.equals(READYZ) && !path.equals(METRICS)) {
      return false;
    }
    if (!exchange.method.equals("GET")) {
      throw new Refusal(
          405, path + " takes GET requests, not " + exchange.method, Map.of("Allow", "GET"));
    }
    switch (path) {
      case HEALTHZ -> exchange.send(200, bytes("ok\n"), Map.of(), PLAIN_TEXT);
      case READYZ -> {
        Optional<String> why = operations.readiness().get();
        if (why.isPresent()) {
          exchange.send(
              503,
              bytes("not ready: " + why.get() + "\n"),
              Map.of("Retry-After", RETRY_AFTER_SECONDS),
              PLAIN_TEXT);
        } else {
          exchange.send(200, bytes("ready\n"), Map.of(), PLAIN_TEXT);
        }
      }
      default -> {
        checkMetricsToken(exchange);
        exchange.send(200, bytes(operations.metrics().scrape()), Map.of(), Metrics.CONTENT_TYPE);
      }
    }
    return true;
  }

  private void checkMetricsToken(Exchange exchange) throws Refusal {
    if (operations.metricsToken().isEmpty()) {
      return;
    }
    String header = exchange.request.getHeaders().get(HttpHeader.AUTHORIZATION);
    String prefix = "Bearer ";
    boolean ok =
        header != null
            && header.regionMatches(true, 0, prefix, 0, prefix.length())
            && MessageDigest.isEqual(
                bytes(header.substring(prefix.length()).strip()),
                bytes(operations.metricsToken().get()));
    if (!ok) {
      throw new Refusal(
          401,
          (header == null ? "no" : "a wrong")
              + " metrics token: /metrics takes the server's metrics token (--metrics-token-file)"
              + " as 'Authorization: Bearer <token>'",
          Map.of("WWW-Authenticate", "Bearer realm=\"skiff-metrics\""));
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private void serveJar(Exchange exchange) throws Refusal {
    JarEndpoint.Answer answer =
        jarEndpoint.answer(
            exchange.method,
            exchange.rawPath,
            exchange.request.getHeaders().get(HttpHeader.AUTHORIZATION));
    switch (answer) {
      case JarEndpoint.Answer.Refused r ->
          throw new Refusal(
              r.status(),
              r.message(),
              r.status() == 401 ? Map.of("WWW-Authenticate", "Bearer realm=\"skiff\"") : Map.of());
      case JarEndpoint.Answer.Jar j -> exchange.sendFile(j.file(), j.size());
    }
  }

  /**
   * Passes a request for an app that another replica runs on to that replica's gateway, its body
   * streamed as it comes (the owner applies the endpoint's limits), and its answer back; a request
   * that another replica forwarded here is never forwarded again.
   */
  private void forwardIfElsewhere(Exchange exchange, String appName, Elsewhere where)
      throws Refusal {
    Request request = exchange.request;
    String by = request.getHeaders().get(FORWARDED_BY);
    Peer peer = where.route(URLDecoder.decode(appName, StandardCharsets.UTF_8));
    switch (peer) {
      case Peer.None none -> {}
      case Peer.Moving moving ->
          throw new Refusal(503, moving.why(), Map.of("Retry-After", RETRY_AFTER_SECONDS));
      case Peer.At at when by != null ->
          throw new Refusal(
              503,
              "replica "
                  + by
                  + " forwarded this request here, but app '"
                  + appName
                  + "' runs on replica "
                  + at.id()
                  + " now; retry",
              Map.of("Retry-After", RETRY_AFTER_SECONDS));
      case Peer.At at -> forward(exchange, at, where.replicaId());
    }
  }

  private void forward(Exchange exchange, Peer.At at, String replicaId) throws Refusal {
    Request request = exchange.request;
    String query = request.getHttpURI().getQuery();
    URI uri =
        URI.create(
            (at.certificatePem().isPresent() ? "https://" : "http://")
                + at.webAddress()
                + exchange.rawPath
                + (query == null ? "" : "?" + query));
    exchange.bodyRead = true;
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri)
            .timeout(defaultTimeout.plus(limits.readTimeout()))
            .method(
                exchange.method,
                HttpRequest.BodyPublishers.ofInputStream(
                    () -> Content.Source.asInputStream(request)));
    for (var field : request.getHeaders()) {
      if (!NOT_FORWARDED.contains(field.getLowerCaseName())) {
        b.header(field.getName(), field.getValue());
      }
    }
    String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    b.header(FORWARDED_BY, replicaId);
    HttpResponse<byte[]> answer;
    try {
      answer =
          peerClient(at.certificatePem()).send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      exchange.closeConnection = true;
      throw new Refusal(
          503,
          "replica "
              + at.id()
              + ", which runs app of "
              + exchange.rawPath
              + ", could not be reached ("
              + e.getMessage()
              + "); retry: another replica takes its apps over once its lease lapses",
          Map.of("Retry-After", RETRY_AFTER_SECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Refusal(503, "the gateway is stopping", Map.of());
    }
    Map<String, String> headers = new LinkedHashMap<>();
    answer
        .headers()
        .map()
        .forEach(
            (name, values) -> {
              if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT)) && !values.isEmpty()) {
                headers.put(name, String.join(", ", values));
              }
            });
    exchange.send(
        answer.statusCode(),
        answer.body(),
        headers,
        answer.headers().firstValue("content-type").orElse(null));
  }

  /**
   * The client that reaches the replicas that publish {@code certificatePem} (trusting it alone),
   * or plain HTTP ones.
   */
  private HttpClient peerClient(Optional<String> certificatePem) {
    return peers.computeIfAbsent(
        certificatePem.orElse(""),
        pem -> {
          HttpClient.Builder b =
              HttpClient.newBuilder()
                  .executor(handlers)
                  .version(HttpClient.Version.HTTP_1_1)
                  .connectTimeout(Duration.ofSeconds(5))
                  .followRedirects(HttpClient.Redirect.NEVER);
          if (!pem.isEmpty()) {
            b.sslContext(trusting(pem));
          }
          return b.build();
        });
  }

  private static SSLContext trusting(String pem) {
    try {
      KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
      trusted.load(null, null);
      trusted.setCertificateEntry(
          "replica",
          CertificateFactory.getInstance("X.509")
              .generateCertificate(
                  new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))));
      TrustManagerFactory tm =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tm.init(trusted);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tm.getTrustManagers(), null);
      return ssl;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("a replica published an unusable certificate: " + e, e);
    }
  }

  /**
   * Reads the request's body whole, within the endpoint's size limit, the gateway's body budget
   * (adding what it takes to {@code held[0]}) and the read timeout.
   */
  private byte[] readBody(Exchange exchange, Route route, long[] held) throws Refusal {
    exchange.bodyRead = true;
    Request request = exchange.request;
    long max = route.maxBodyBytes();
    long declared = request.getLength();
    if (declared > max) {
      exchange.closeConnection = true;
      throw tooLarge(route, "its Content-Length is " + declared);
    }
    if (declared > 0) {
      if (!buffered.tryTake(declared)) {
        exchange.closeConnection = true;
        throw busy();
      }
      held[0] = declared;
    }
    AtomicBoolean late = new AtomicBoolean();
    Scheduler.Task deadline = readDeadline(request, late);
    try (InputStream in = Content.Source.asInputStream(request)) {
      if (declared >= 0) {
        byte[] body = in.readNBytes((int) declared);
        if (body.length < declared) {
          throw new IOException("the body ended before its Content-Length");
        }
        return body;
      }
      // Of unknown length (chunked): counted against the limit and the budget as it arrives.
      byte[] body = new byte[0];
      byte[] chunk = new byte[READ_STEP];
      int size = 0;
      for (int n = in.read(chunk); n >= 0; n = in.read(chunk)) {
        if (size + n > max) {
          exchange.closeConnection = true;
          throw tooLarge(route, "it is longer");
        }
        if (!buffered.tryTake(n)) {
          exchange.closeConnection = true;
          throw busy();
        }
        held[0] += n;
        if (size + n > body.length) {
          body = Arrays.copyOf(body, (int) Math.min(max, Math.max(2L * body.length, size + n)));
        }
        System.arraycopy(chunk, 0, body, size, n);
        size += n;
      }
      return body.length == size ? body : Arrays.copyOf(body, size);
    } catch (IOException e) {
      exchange.closeConnection = true;
      if (late.get()) {
        throw new Refusal(
            408,
            "the request body did not arrive within "
                + Failures.format(limits.readTimeout())
                + " (the server's --web-read-timeout)",
            Map.of());
      }
      throw new Refusal(400, "the request body could not be read: " + e.getMessage(), Map.of());
    } finally {
      deadline.cancel();
    }
  }

  /**
   * Reads and drops the small body of a request refused before its body was read, so that the
   * refusal ends the request cleanly (a client still sending would otherwise see its connection
   * closed, or its HTTP/2 stream reset, before it reads the answer). A body over {@value
   * #DISCARD_LIMIT} bytes, or one that does not arrive within the read timeout, is left unread and
   * the connection closed after the answer instead.
   */
  private void discardSmallBody(Exchange exchange) {
    Request request = exchange.request;
    long declared = request.getLength();
    if (declared == 0) {
      return;
    }
    if (declared > DISCARD_LIMIT) {
      exchange.closeConnection = true;
      return;
    }
    Scheduler.Task deadline = readDeadline(request, new AtomicBoolean());
    try (InputStream in = Content.Source.asInputStream(request)) {
      if (in.readNBytes(DISCARD_LIMIT + 1).length > DISCARD_LIMIT) {
        exchange.closeConnection = true;
      }
    } catch (IOException e) {
      exchange.closeConnection = true;
    } finally {
      deadline.cancel();
    }
  }

  /**
   * Fails the reads of {@code request}'s body once {@link WebLimits#readTimeout} has passed, and
   * sets {@code late} when it does; cancel the task once the body is read.
   */
  private Scheduler.Task readDeadline(Request request, AtomicBoolean late) {
    return server
        .getScheduler()
        .schedule(
            () -> {
              late.set(true);
              request.fail(new TimeoutException("the request body arrived too slowly"));
            },
            limits.readTimeout().toMillis(),
            TimeUnit.MILLISECONDS);
  }

  private static Refusal tooLarge(Route route, String why) {
    return new Refusal(
        413,
        "web endpoint "
            + route.path()
            + " takes request bodies of at most "
            + route.maxBodyBytes()
            + " bytes, and "
            + why
            + "; the endpoint's maxBodyBytes sets the limit",
        Map.of());
  }

  private Refusal busy() {
    return new Refusal(
        503,
        "the Skiff web gateway holds "
            + limits.maxBufferedMib()
            + " MiB of request bodies, the most it holds at once (the server's"
            + " --web-max-buffered-mib); retry later",
        Map.of("Retry-After", RETRY_AFTER_SECONDS));
  }

  private static HttpInput httpInput(Exchange exchange, String rest, byte[] body) {
    HttpInput.Builder input =
        HttpInput.newBuilder()
            .setMethod(exchange.method)
            .setPath(rest)
            .setBody(UnsafeByteOperations.unsafeWrap(body));
    query(exchange.request.getHttpURI().getQuery())
        .forEach(
            (name, values) ->
                values.forEach(
                    v -> input.addQuery(HttpField.newBuilder().setName(name).setValue(v))));
    for (org.eclipse.jetty.http.HttpField h : exchange.request.getHeaders()) {
      if (h.getName() != null && !WebCredentials.isWebTokenHeader(h.getName())) {
        input.addHeaders(HttpField.newBuilder().setName(h.getName()).setValue(h.getValue()));
      }
    }
    return input.build();
  }

  // ------------------------------------------------------------------------------ credentials

  private static Refusal clientTokenRefusal(Route route) {
    return new Refusal(
        401,
        "web endpoint "
            + route.path()
            + " takes web tokens, not the client"
            + " token: create one with 'skiff token create' and send its key id and secret in the "
            + WebTokens.KEY_HEADER
            + " and "
            + WebTokens.SECRET_HEADER
            + " headers",
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

  /**
   * Submits the request as an input and waits for its result (on this virtual thread), cancelling
   * the input if the client goes away meanwhile.
   */
  private Result call(Exchange exchange, Route route, ByteString request) {
    CompletableFuture<Result> done = new CompletableFuture<>();
    FunctionInputs function = route.function();
    Input input = function.newInput(request, done::complete, CallOrigin.of(CallKind.CALL_WEB));
    function.submit(input);
    ClientWatch watch =
        ClientWatch.start(
            exchange.request,
            () -> function.cancel(input, "the web client went away before the answer"));
    try {
      return await(route, function, input, done);
    } finally {
      if (watch.stop()) {
        exchange.closeConnection = true;
      }
    }
  }

  private Result await(
      Route route, FunctionInputs function, Input input, CompletableFuture<Result> done) {
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

  private static void respond(Exchange exchange, Route route, Result result) {
    if (result.hasError()) {
      ErrorInfo e = result.getError();
      String where = "web endpoint " + route.path() + ": ";
      switch (e.getKind()) {
        case USER_EXCEPTION -> {
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("error", where + e.getClassName() + ": " + e.getMessage());
          body.put("exception", e.getClassName());
          body.put("message", e.getMessage());
          exchange.sendJson(500, json(body), Map.of());
        }
        case TIMEOUT, STARTUP_TIMEOUT ->
            exchange.sendJson(504, error(where + e.getMessage()), Map.of());
        case CONTAINER_CRASHED -> exchange.sendJson(502, error(where + e.getMessage()), Map.of());
        case STARTUP_FAILED, CANCELLED ->
            exchange.sendJson(503, error(where + e.getMessage()), Map.of());
        case INVALID_ARGUMENT -> exchange.sendJson(400, error(where + e.getMessage()), Map.of());
        default ->
            exchange.sendJson(500, error(where + e.getKind() + ": " + e.getMessage()), Map.of());
      }
      return;
    }
    HttpOutput out;
    try {
      out = HttpOutput.parseFrom(result.getValue());
    } catch (InvalidProtocolBufferException e) {
      exchange.sendJson(
          502,
          error(
              "web endpoint " + route.path() + ": the container's answer is not an HTTP response"),
          Map.of());
      return;
    }
    String contentType = null;
    for (HttpField h : out.getHeadersList()) {
      if (h.getName().equalsIgnoreCase("Content-Type")) {
        contentType = h.getValue();
      } else if (!FRAMING_HEADERS.contains(h.getName().toLowerCase(Locale.ROOT))) {
        exchange.response.getHeaders().add(h.getName(), h.getValue());
      }
    }
    int status = out.getStatus() == 0 ? 200 : out.getStatus();
    exchange.send(status, out.getBody().toByteArray(), Map.of(), contentType);
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
