package dev.skiff.internal;

import dev.skiff.FunctionCancelledException;
import dev.skiff.InvalidConfigurationException;
import dev.skiff.NotFoundException;
import dev.skiff.SkiffException;
import dev.skiff.UnsupportedOptionException;
import dev.skiff.internal.spi.EmbeddedControlPlane;
import dev.skiff.proto.CallRequest;
import dev.skiff.proto.ClientApiGrpc;
import dev.skiff.proto.FunctionRef;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ConnectivityState;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.net.ConnectException;
import java.net.UnixDomainSocketAddress;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLException;

/**
 * A connection to a control plane: one gRPC channel that carries the token on every call. Converts
 * gRPC failures to {@link SkiffException}s so that gRPC types never reach users. Thread-safe.
 */
public final class SkiffClient implements AutoCloseable {
  /** How long a connection with calls in flight may be silent before the client pings. */
  static final Duration KEEPALIVE = Duration.ofSeconds(15);

  /** How long a ping may go unanswered before the connection counts as lost. */
  static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(10);

  /** The largest message a Skiff channel accepts. */
  public static final int MAX_MESSAGE_BYTES = 300 * 1024 * 1024;

  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final String target;
  private final Optional<ServerTrust> trust;
  // Where the address and token came from, for a client of a configured server.
  private final Optional<ClientConfig> config;
  private final ManagedChannel channel;
  private final ClientApiGrpc.ClientApiBlockingStub blocking;
  private final ClientApiGrpc.ClientApiStub async;
  private final ClientApiGrpc.ClientApiFutureStub future;
  private final Map<FunctionRef, SpawnBatcher> spawners = new ConcurrentHashMap<>();

  private SkiffClient(String target, Optional<ServerTrust> trust, ManagedChannel channel) {
    this(target, trust, Optional.empty(), channel);
  }

  private SkiffClient(
      String target,
      Optional<ServerTrust> trust,
      Optional<ClientConfig> config,
      ManagedChannel channel) {
    this.target = target;
    this.trust = trust;
    this.config = config;
    this.channel = channel;
    this.blocking = ClientApiGrpc.newBlockingStub(channel);
    this.async = ClientApiGrpc.newStub(channel);
    this.future = ClientApiGrpc.newFutureStub(channel);
  }

  /** Whether this client talks to its server without TLS (an in-process or loopback one). */
  public boolean plaintext() {
    return trust.map(t -> t instanceof ServerTrust.Plaintext).orElse(true);
  }

  /**
   * Connects (lazily) without TLS to a control plane on loopback that this program (or a test
   * fixture) started.
   */
  public static SkiffClient connect(String target, String token) {
    return connect(target, token, ServerTrust.plaintext());
  }

  /**
   * Connects (lazily) to {@code host:port}. Each connection completes a TLS handshake with a server
   * that {@code trust} accepts before the first call, and so the token, is sent.
   *
   * @throws SkiffException if {@code trust} is plaintext and the host is not loopback
   */
  public static SkiffClient connect(String target, String token, ServerTrust trust) {
    NettyLogging.useJdkLogging();
    return new SkiffClient(target, Optional.of(trust), channel(target, token, trust));
  }

  /**
   * Connects (lazily) to a configured server, as {@link #connect(String, String, ServerTrust)}
   * does; its failures name where the address and the token came from.
   *
   * @throws SkiffException if the trust is plaintext and the host is not loopback
   */
  public static SkiffClient connect(ClientConfig config) {
    NettyLogging.useJdkLogging();
    return new SkiffClient(
        config.server(),
        Optional.of(config.trust()),
        Optional.of(config),
        channel(config.server(), config.token(), config.trust()));
  }

  /**
   * Connects to an embedded control plane in this JVM: through its in-process server where it has
   * one, else over loopback.
   */
  public static SkiffClient connect(EmbeddedControlPlane plane) {
    if (plane.inProcessName().isEmpty()) {
      return connect(plane.target(), plane.token());
    }
    // The control plane's handlers run on the calling thread. Callbacks to this client (results
    // of async calls, map batches) run on gRPC's executor, never on the control plane's transport
    // threads, where a user's continuation must not block it; blocking calls wait on their own
    // thread either way.
    ManagedChannel channel =
        InProcessChannelBuilder.forName(plane.inProcessName().get())
            .intercept(new TokenInterceptor(plane.token()))
            .build();
    return new SkiffClient(plane.target(), Optional.empty(), channel);
  }

  /** A client over an existing channel (which must already carry the token). */
  public static SkiffClient over(String target, ManagedChannel channel) {
    return new SkiffClient(target, Optional.empty(), channel);
  }

  /**
   * A plaintext channel to {@code host:port} on loopback that sends the token with every call (a
   * container's channel to its control plane).
   */
  public static ManagedChannel channel(String target, String token) {
    return channel(target, token, ServerTrust.plaintext());
  }

  /**
   * A channel to {@code host:port} that sends the token with every call, over TLS with a server
   * that {@code trust} accepts (or in plaintext to loopback for {@link ServerTrust.Plaintext}).
   *
   * @throws SkiffException if {@code trust} is plaintext and the host is not loopback
   */
  public static ManagedChannel channel(String target, String token, ServerTrust trust) {
    return channel(target, token, trust, UnavailableRetry.budget(System.getenv()));
  }

  /**
   * As {@link #channel(String, String, ServerTrust)}; a target of several replicas' addresses
   * ({@code host1:port,host2:port}) gets a channel that connects to the first that accepts (gRPC's
   * {@code pick_first} over {@link ServerListResolver}'s list) and retries safe calls that fail
   * with {@code UNAVAILABLE} for up to {@code retryBudget} ({@link UnavailableRetry}). A target of
   * one address gets neither.
   */
  static ManagedChannel channel(
      String target, String token, ServerTrust trust, Duration retryBudget) {
    List<String> addresses = ServerAddresses.parse(target, "the client's server address");
    addresses.forEach(trust::checkTarget);
    boolean replicas = addresses.size() > 1;
    NettyChannelBuilder b =
        (replicas ? replicasBuilder(addresses) : builderFor(target))
            .directExecutor()
            .maxInboundMessageSize(MAX_MESSAGE_BYTES)
            // A server that stops answering (paused, or gone behind a half-open connection) ends
            // the calls waiting on it within about KEEPALIVE + KEEPALIVE_TIMEOUT, as UNAVAILABLE;
            // without pings they would wait forever. The server permits a ping every 10 s.
            .keepAliveTime(KEEPALIVE.toSeconds(), TimeUnit.SECONDS)
            .keepAliveTimeout(KEEPALIVE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
            .intercept(new TokenInterceptor(token));
    trust.grpcContext().ifPresentOrElse(b::sslContext, b::usePlaintext);
    ReconnectNow reconnect = new ReconnectNow();
    b.intercept(reconnect);
    UnavailableRetry retry =
        new UnavailableRetry(addresses, replicas ? retryBudget : Duration.ZERO, System::nanoTime);
    b.intercept(retry);
    ManagedChannel channel = b.build();
    reconnect.channel = channel;
    retry.channel(channel);
    return channel;
  }

  /**
   * A channel builder for several replicas of one server: {@code pick_first} over their addresses
   * in the order given, each address with its own authority (so TLS checks each replica's host
   * name), and a connect timeout short enough that a replica whose machine is gone does not hold up
   * the next.
   */
  @SuppressWarnings(
      "deprecation") // nameResolverFactory: the one way to give a channel a fixed list
  private static NettyChannelBuilder replicasBuilder(List<String> addresses) {
    return NettyChannelBuilder.forTarget(ServerListResolver.SCHEME + ":///replicas")
        .nameResolverFactory(ServerListResolver.factory(addresses))
        .defaultLoadBalancingPolicy("pick_first")
        .withOption(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) REPLICA_CONNECT_TIMEOUT.toMillis());
  }

  /** How long a connection to one of several replicas may take before the next is tried. */
  static final Duration REPLICA_CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /**
   * Makes a call on a channel that lost its server try to connect at once. gRPC otherwise waits out
   * a reconnect backoff (growing to two minutes) and fails every call meanwhile, so a long-lived
   * client would keep failing for minutes after its server restarted.
   */
  private static final class ReconnectNow implements ClientInterceptor {
    volatile ManagedChannel channel;

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(
        MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
      ManagedChannel c = channel;
      if (c != null && c.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
        c.resetConnectBackoff();
      }
      return next.newCall(method, options);
    }
  }

  /** The prefix of a target that names a Unix domain socket: {@code unix:/path/to/socket}. */
  public static final String UNIX_PREFIX = "unix:";

  // One event loop for every Unix-socket channel of this JVM (a container has one), daemon threads.
  private static final class UnixLoop {
    static final NioEventLoopGroup GROUP =
        new NioEventLoopGroup(1, new DefaultThreadFactory("skiff-uds", true));
  }

  /**
   * A channel builder for {@code target}: {@code host:port} over TCP, or {@code unix:/path} over a
   * Unix domain socket (how a container reaches its control plane: the socket bound into its
   * sandbox is its only way out).
   */
  private static NettyChannelBuilder builderFor(String target) {
    if (!target.startsWith(UNIX_PREFIX)) {
      return NettyChannelBuilder.forTarget(target);
    }
    // The JDK's own Unix sockets (no native library): a container reaches its control plane so.
    return NettyChannelBuilder.forAddress(
            UnixDomainSocketAddress.of(target.substring(UNIX_PREFIX.length())))
        .overrideAuthority("localhost")
        .channelType(NioDomainSocketChannel.class)
        .eventLoopGroup(UnixLoop.GROUP)
        // gRPC sets SO_KEEPALIVE, which a Unix socket has no use for (Netty warns about it).
        .withOption(ChannelOption.SO_KEEPALIVE, null);
  }

  /** The channel, for services other than the client API. */
  public ManagedChannel channel() {
    return channel;
  }

  /** Where this client connects. */
  public String target() {
    return target;
  }

  /**
   * Spawns one call, sent together with the other spawns of its function that this client's threads
   * make meanwhile ({@link SpawnBatcher}); completes with the call's id once the server stored it,
   * or with the server's error for it.
   */
  public CompletableFuture<String> spawn(CallRequest request) {
    return spawners
        .computeIfAbsent(request.getFunction(), f -> new SpawnBatcher(async))
        .spawn(request);
  }

  /** The blocking stub. */
  public ClientApiGrpc.ClientApiBlockingStub blocking() {
    return blocking;
  }

  /** The asynchronous (streaming) stub. */
  public ClientApiGrpc.ClientApiStub async() {
    return async;
  }

  /** The future stub. */
  public ClientApiGrpc.ClientApiFutureStub future() {
    return future;
  }

  /** Converts a gRPC failure into the Skiff exception a user should see. */
  public SkiffException translate(Throwable t) {
    if (t instanceof SkiffException s) {
      return s;
    }
    Status status = Status.fromThrowable(t);
    String description = status.getDescription() == null ? "" : status.getDescription();
    return switch (status.getCode()) {
      case NOT_FOUND -> new NotFoundException(description);
      case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE ->
          new InvalidConfigurationException(description);
      case UNIMPLEMENTED -> new UnsupportedOptionException(description);
      case ALREADY_EXISTS -> new SkiffException(description);
      case RESOURCE_EXHAUSTED ->
          new SkiffException(
              "the Skiff control plane at "
                  + target
                  + " refused a request past one of its limits: "
                  + description
                  + (description.startsWith("gRPC message exceeds maximum size")
                      ? " (bytes; the server's operator can raise it with skiff server"
                          + " --max-message-mib, default 64)"
                      : ""));
      case CANCELLED ->
          new FunctionCancelledException(
              description.isEmpty() ? "the call was cancelled" : description);
      case UNAVAILABLE -> unavailable(status, description);
      case UNAUTHENTICATED, PERMISSION_DENIED ->
          new SkiffException(
              "the Skiff control plane at "
                  + target
                  + " refused this client: "
                  + description
                  + config.map(SkiffClient::tokenOrigin).orElse(""));
      default ->
          new SkiffException(
              "call to the Skiff control plane failed: " + status.getCode() + " " + description);
    };
  }

  /**
   * An unavailable server, or one this client refused to talk to because its TLS handshake failed
   * (before the token was sent): the message says which, and how to fix a trust problem.
   */
  private SkiffException unavailable(Status status, String description) {
    for (Throwable c = status.getCause(); c != null; c = c.getCause()) {
      if (c instanceof CertificateException bad) {
        String source = trust.map(ServerTrust::source).orElse("the client's trust settings");
        return new SkiffException(
            "the Skiff server at "
                + target
                + " is not trusted, so it was sent nothing: "
                + bad.getMessage()
                + ". If this is the right server and its certificate changed,"
                + " use the config.json it wrote on its last start, or set "
                + ServerTrust.CA_VARIABLE
                + " to a PEM file with its certificate or its CA"
                + " (trusted now: "
                + source
                + ")",
            status.asRuntimeException());
      }
    }
    for (Throwable c = status.getCause(); c != null; c = c.getCause()) {
      if (c instanceof SSLException tls) {
        return new SkiffException(
            "the Skiff server at "
                + target
                + " did not complete a TLS handshake, so it was sent"
                + " nothing ("
                + tls.getMessage()
                + "); a Skiff server uses TLS unless it was"
                + " started with --plaintext (loopback only; its clients set SKIFF_TLS=off, or"
                + " read \"tls\": false from its config.json)",
            status.asRuntimeException());
      }
    }
    // Nothing listens there (connection refused): whether TLS is used is beside the point.
    boolean refused = causes(status).anyMatch(c -> c instanceof ConnectException);
    String hint =
        trust
            .filter(t -> !refused)
            .filter(t -> t instanceof ServerTrust.Plaintext p && !p.equals(ServerTrust.plaintext()))
            .map(
                t ->
                    " (this client does not use TLS: "
                        + t.source()
                        + "; a server with TLS hangs"
                        + " up on it)")
            .orElse("");
    if (config.isPresent()) {
      return new SkiffException(
          "the Skiff server at "
              + target
              + " (address from "
              + config.get().serverSource()
              + ") is unavailable: "
              + description
              + rootCause(status).map(m -> " (" + m + ")").orElse("")
              + hint
              + "; start it with 'skiff server', or check the address",
          status.asRuntimeException());
    }
    return new SkiffException(
        "the Skiff control plane at " + target + " is unavailable: " + description + hint);
  }

  /**
   * Where a refused token came from: " (the token from SOURCE)", and for a token of {@code
   * SKIFF_TOKEN} sent to the config file's server, that file too.
   */
  private static String tokenOrigin(ClientConfig c) {
    boolean fileServer = !c.serverSource().equals(ClientConfig.SERVER_SOURCE);
    return c.tokenSource().equals(ClientConfig.TOKEN_SOURCE) && fileServer
        ? " (the token of " + c.tokenSource() + ", for the server of " + c.serverSource() + ")"
        : " (the token from " + c.tokenSource() + ")";
  }

  /** The causes of a failure, outermost first. */
  private static Stream<Throwable> causes(Status status) {
    return Stream.iterate(status.getCause(), c -> c != null, Throwable::getCause);
  }

  /** The message of the innermost cause of a failure, e.g. "Connection refused: /127.0.0.1:1". */
  private static Optional<String> rootCause(Status status) {
    Throwable root = status.getCause();
    if (root == null) {
      return Optional.empty();
    }
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return Optional.ofNullable(root.getMessage()).filter(m -> !m.isBlank());
  }

  /** True when a failure is gRPC's own cancellation of a call. */
  public static boolean isCancellation(Throwable t) {
    return t instanceof StatusRuntimeException s
        && s.getStatus().getCode() == Status.Code.CANCELLED;
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static final class TokenInterceptor implements ClientInterceptor {
    private final String header;

    TokenInterceptor(String token) {
      this.header = "Bearer " + token;
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(
        MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
      return new ForwardingClientCall.SimpleForwardingClientCall<>(
          next.newCall(method, options.withMaxOutboundMessageSize(MAX_MESSAGE_BYTES))) {
        @Override
        public void start(Listener<R> listener, Metadata headers) {
          headers.put(AUTHORIZATION, header);
          super.start(listener, headers);
        }
      };
    }
  }
}
