package dev.skiff.server;

import dev.skiff.internal.NettyLogging;
import dev.skiff.internal.spi.EmbeddedControlPlane;
import dev.skiff.proto.AppLease;
import dev.skiff.proto.ClusterStatus;
import dev.skiff.proto.ReplicaStatus;
import dev.skiff.server.activity.Activity;
import dev.skiff.server.api.BlobService;
import dev.skiff.server.api.BlockingHandlers;
import dev.skiff.server.api.ClientService;
import dev.skiff.server.api.ContainerService;
import dev.skiff.server.api.ContainerSocket;
import dev.skiff.server.api.ImageService;
import dev.skiff.server.api.TokenService;
import dev.skiff.server.api.VolumeService;
import dev.skiff.server.auth.PrincipalFilter;
import dev.skiff.server.auth.TokenInterceptor;
import dev.skiff.server.auth.Tokens;
import dev.skiff.server.backend.Capability;
import dev.skiff.server.backend.ClasspathEntry;
import dev.skiff.server.backend.ContainerBackend;
import dev.skiff.server.backend.ContainerHandle;
import dev.skiff.server.backend.Placement;
import dev.skiff.server.calls.CallRegistry;
import dev.skiff.server.cluster.Forwarding;
import dev.skiff.server.cluster.Ownership;
import dev.skiff.server.dashboard.Dashboard;
import dev.skiff.server.deploy.CrossAppCalls;
import dev.skiff.server.deploy.Deployments;
import dev.skiff.server.deploy.JarStore;
import dev.skiff.server.files.BlobStore;
import dev.skiff.server.files.VolumeStore;
import dev.skiff.server.image.ImageStore;
import dev.skiff.server.logs.LogFanout;
import dev.skiff.server.logs.StoredLogs;
import dev.skiff.server.metrics.Metrics;
import dev.skiff.server.runtime.AppDirectory;
import dev.skiff.server.runtime.AppLeases;
import dev.skiff.server.runtime.Container;
import dev.skiff.server.runtime.ContainerEndpoint;
import dev.skiff.server.runtime.ControlPlaneConfig;
import dev.skiff.server.runtime.MonotonicClock;
import dev.skiff.server.runtime.SchedulerContext;
import dev.skiff.server.scaling.DemandAutoscaler;
import dev.skiff.server.scaling.WarmPool;
import dev.skiff.server.schedule.ScheduleRunner;
import dev.skiff.server.secrets.SecretStore;
import dev.skiff.server.store.CallStore;
import dev.skiff.server.store.InMemoryStore;
import dev.skiff.server.store.LeaseStore;
import dev.skiff.server.store.Store;
import dev.skiff.server.store.StoredApp;
import dev.skiff.server.store.StoredCall;
import dev.skiff.server.web.JarEndpoint;
import dev.skiff.server.web.WebGateway;
import dev.skiff.server.web.WebTokens;
import dev.skiff.server.web.WebUi;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A running control plane: a gRPC server on a loopback port serving the client APIs, the same
 * services on a Unix socket for its containers ({@link ContainerSocket}: container tokens only, the
 * one way out of a container's sandbox) and, when asked, on a TCP port for containers on other
 * machines (container tokens only, with the API's TLS), the apps it runs, and the backend its
 * containers run on. Its web gateway serves those containers their app's stored jars ({@link
 * JarEndpoint}).
 *
 * <p>The servers use a direct executor: the handlers of the fast path (calls, map and generate
 * streams, containers' control streams) run on transport threads and never block; every other
 * handler, which may wait for the store, the deploy lock or the disk, runs on a virtual thread
 * ({@link BlockingHandlers}), so that a slow store never stops a connection from being read. Timed
 * work (timeouts, retries, stop escalation, the one-second housekeeping tick) runs on one daemon
 * timer thread; sweeps, which wait for the store and delete files, run on a sweeper thread of their
 * own, so that they never delay a timeout; container launches, which fork processes, run on virtual
 * threads.
 *
 * <p>{@link #close()} stops every app (containers are told to shut down), waits briefly for them to
 * exit, closes the backend (which kills what is left and waits), then stops the server.
 * Thread-safe.
 */
final class ControlPlane implements EmbeddedControlPlane {
  private static final System.Logger LOG = System.getLogger(ControlPlane.class.getName());

  /**
   * How often expired results of spawned calls and scheduled runs are swept (more often for a
   * shorter retention).
   */
  static final Duration SWEEP_EVERY = Duration.ofMinutes(1);

  private final ControlPlaneConfig config;
  private final ContainerBackend backend;
  private final Tokens tokens;
  private final ScheduledThreadPoolExecutor timer;
  private final ExecutorService launcher;
  private final ExecutorService handlers; // the handlers that may block (BlockingHandlers)
  private final ConcurrentHashMap<String, Container> containers = new ConcurrentHashMap<>();
  private final LogFanout logs = new LogFanout();
  private final AppDirectory apps;
  private final Server server;
  private final Server inProcess;
  private final ManagedChannel dashboardChannel;
  private final Dashboard dashboard;
  private final ContainerSocket containerSocket;
  private final Server containerServer;
  private final Optional<Server> containerTcpServer;
  private final Optional<String> containerTarget;
  private final String inProcessName;
  private final String target;
  private final ScheduledFuture<?> ticker;
  private final ScheduledThreadPoolExecutor sweeper;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final WarmPool pool;
  private final ScheduleRunner schedules;
  private final WebGateway web;
  private final BlobStore blobs;
  private final ImageStore images;
  private final CallRegistry calls;
  private final Optional<Deployments> deployments;
  private final Store store;
  private final Clock clock;
  private final Duration retention;
  private final Optional<AppLeases> leases;
  private final Optional<Ownership> ownership;
  private final Optional<Forwarding> forwarding;
  // When results and runs were last swept, on the monotonic clock (a wall clock set back would stop
  // sweeps for as long); written by the sweeper thread only.
  private volatile Instant lastSweep;
  private final Duration sweepEvery;
  private final Metrics metrics = Metrics.create();
  private final Activity activity;
  // The store's readiness check in flight or last done; probes share one that has not answered.
  private final AtomicReference<CompletableFuture<Void>> storeCheck = new AtomicReference<>();
  // Set once the constructor is done: deployed apps are restored, the tick runs.
  private volatile boolean upAndRunning;

  /** How long {@code /readyz} waits for the store to answer its trivial query. */
  static final Duration READY_DEADLINE = Duration.ofSeconds(2);

  /**
   * How a control plane listens and what it keeps: where its API and its web gateway bind, its
   * client token (random when empty), its store (closed with the control plane), whether that store
   * outlives the control plane, how long spawned calls' results are kept, and the certificate its
   * API and web gateway serve TLS with (none: plaintext, which only a loopback address may use),
   * the lease of its ephemeral apps (none: they live until stopped, which suits an embedded control
   * plane, whose clients die with it), its bounds on messages and blobs, and where it listens over
   * TCP for containers on other machines (none: its containers use the Unix socket only), and the
   * bearer token its web gateway's {@code /metrics} requires (none: open).
   *
   * <p>Only a control plane whose store is {@code durable} (the server) keeps deployed apps, and
   * only it lets finished calls leave memory before their retention (their results are read from
   * the store from then on); an embedded one refuses deploys and keeps its calls in memory.
   */
  record Listen(
      InetSocketAddress address,
      InetSocketAddress webAddress,
      Optional<String> token,
      Store store,
      boolean durable,
      Duration retention,
      Optional<ServerCertificate> tls,
      Optional<Duration> appLease,
      ServerLimits limits,
      Optional<Replication> replication,
      Optional<InetSocketAddress> containerAddress,
      Optional<String> metricsToken) {
    /**
     * How a control plane listens without replicas, without a TCP listener for containers, and with
     * its meters open to whoever reaches its web gateway.
     */
    Listen(
        InetSocketAddress address,
        InetSocketAddress webAddress,
        Optional<String> token,
        Store store,
        boolean durable,
        Duration retention,
        Optional<ServerCertificate> tls,
        Optional<Duration> appLease,
        ServerLimits limits) {
      this(
          address,
          webAddress,
          token,
          store,
          durable,
          retention,
          tls,
          appLease,
          limits,
          Optional.empty(),
          Optional.empty(),
          Optional.empty());
    }

    /**
     * An embedded control plane: free loopback ports, a random token, memory only, no TLS, no
     * leases, the default bounds.
     */
    static Listen embedded() {
      return new Listen(
          new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
          new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
          Optional.empty(),
          new InMemoryStore(),
          false,
          Duration.ofDays(7),
          Optional.empty(),
          Optional.empty(),
          ServerLimits.defaults());
    }
  }

  /**
   * A control plane that is one of several replicas on a database that can share apps ({@link
   * Store#leases()}).
   *
   * @param id this replica's id, unique among them
   * @param lease the length of its apps' leases
   * @param advertise where the others and clients reach its API ({@code host:port}); empty: the
   *     address it listens on
   */
  record Replication(String id, Duration lease, Optional<String> advertise) {}

  private ControlPlane(ControlPlaneConfig config, ContainerBackend backend, Clock clock) {
    this(config, backend, clock, Listen.embedded());
  }

  private ControlPlane(
      ControlPlaneConfig config, ContainerBackend backend, Clock clock, Listen listen) {
    NettyLogging.useJdkLogging();
    this.config = config;
    this.backend = backend;
    this.clock = clock;
    this.store = listen.store();
    this.retention = listen.retention();
    long maxBlobBytes = listen.limits().maxBlobMib() * 1024 * 1024 + 64 * 1024; // + framing
    long blobQuota = listen.limits().blobQuotaMib() * 1024 * 1024;
    this.blobs =
        listen.durable()
            ? BlobStore.in(
                config.dataDir().resolve("blobs"),
                maxBlobBytes,
                blobQuota,
                clock,
                store.sharedBytes())
            : BlobStore.temporary(maxBlobBytes, blobQuota, clock);
    this.sweepEvery =
        listen.retention().compareTo(SWEEP_EVERY) < 0 ? listen.retention() : SWEEP_EVERY;
    this.lastSweep = MonotonicClock.system().instant().minus(sweepEvery); // the first tick sweeps
    this.tokens = listen.token().map(Tokens::new).orElseGet(Tokens::random);
    this.timer =
        new ScheduledThreadPoolExecutor(
            1, Thread.ofPlatform().name("skiff-timer-", 0).daemon().factory());
    timer.setRemoveOnCancelPolicy(true);
    this.launcher =
        Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("skiff-launch-", 0).factory());
    AtomicReference<ContainerEndpoint> listening = new AtomicReference<>();
    this.pool =
        new WarmPool(
            // A backend whose containers are made for their function keeps no warm pool.
            backend.startsGenericContainers() ? config.warmContainers() : 0,
            backend.startsGenericContainers() ? config.maxWarmContainers() : 0,
            backend,
            tokens,
            launcher,
            listening::get);
    Placement placement = backend.placement();
    this.activity = new Activity(clock);
    SchedulerContext ctx =
        new SchedulerContext(
            config,
            clock,
            MonotonicClock.system(),
            timer,
            launcher,
            backend,
            tokens,
            containers,
            logs,
            new DemandAutoscaler(),
            listening::get,
            new AtomicLong(),
            pool,
            placement,
            metrics,
            activity);
    this.apps = new AppDirectory(ctx);
    metrics.countContainersWith(apps::containerCounts);
    store.observeCommits(metrics::storeCommitted);
    placement.onRelease(
        () -> {
          try {
            timer.execute(this::placeWaiting);
          } catch (RejectedExecutionException e) {
            // The control plane is closing: nothing is placed any more.
          }
        });
    this.schedules = new ScheduleRunner(clock, timer, metrics::scheduleFired);
    WebTokens webTokens = WebTokens.in(store.tokens(), clock);
    this.web =
        WebGateway.start(
            tokens,
            webTokens,
            config.defaultTimeout(),
            listen.limits().web(),
            listen.webAddress(),
            listen.tls().map(ServerCertificate::jdk),
            new WebGateway.Operations(metrics, this::notReady, listen.metricsToken()));
    web.serveJars(
        new JarEndpoint.Jars() {
          @Override
          public Optional<Set<String>> classpathOf(String appId) {
            return apps.find(appId)
                .map(
                    app ->
                        Stream.concat(
                                app.spec().classpath().stream()
                                    .flatMap(
                                        e ->
                                            e instanceof ClasspathEntry.Jar j
                                                ? Stream.of(j.sha256())
                                                : Stream.empty()),
                                // What the app's built images shipped to containers elsewhere.
                                app.functions().values().stream()
                                    .map(f -> f.def().getImageId())
                                    .filter(id -> !id.isEmpty())
                                    .distinct()
                                    .flatMap(
                                        id ->
                                            ImageStore.shippedFiles(config.buildDirectory(), id)
                                                .stream()))
                            .collect(Collectors.toUnmodifiableSet()));
          }

          @Override
          public Path file(String sha256) {
            Path jar = JarStore.file(config.dataDir(), sha256);
            return Files.exists(jar)
                ? jar
                : ImageStore.shippedFile(config.buildDirectory(), sha256);
          }
        });
    this.images =
        ImageStore.in(config.buildDirectory(), clock, backend.capabilities(), store.sharedBytes());
    SecretStore secretStore = SecretStore.open(config.dataDir());
    apps.addListener(schedules);
    apps.addListener(web);
    this.leases = listen.appLease().map(l -> new AppLeases(apps, l, System::nanoTime));
    leases.ifPresent(apps::addListener);
    this.calls =
        new CallRegistry(
            // Embedded, calls cannot outlive the registry, which keeps them for the retention.
            listen.durable() ? store.calls() : CallStore.none(),
            clock,
            retention,
            listen.durable() ? CallRegistry.KEEP_IN_MEMORY : retention);
    VolumeStore volumes =
        new VolumeStore(config.dataDir(), backend.capabilities().whyNot(Capability.VOLUMES));
    this.deployments =
        listen.durable()
            ? Optional.of(
                new Deployments(apps, store, calls, web, images, volumes, clock, config.dataDir()))
            : Optional.empty();
    this.ownership =
        listen
            .replication()
            .filter(r -> deployments.isPresent())
            .map(
                r -> {
                  LeaseStore leaseStore =
                      store
                          .leases()
                          .orElseThrow(
                              () ->
                                  new IllegalArgumentException(
                                      "replicas need a store that several servers share (a"
                                          + " PostgreSQL --database)"));
                  return new Ownership(
                      leaseStore,
                      r.id(),
                      r.lease(),
                      () -> store.deployments().all().stream().map(StoredApp::name).toList());
                });
    ownership.ifPresent(
        o -> {
          web.forwardTo(
              new WebGateway.Elsewhere() {
                @Override
                public String replicaId() {
                  return o.id();
                }

                @Override
                public WebGateway.Peer route(String appName) {
                  return switch (o.ownerOf(appName)) {
                    case Ownership.Owner.Here h -> new WebGateway.Peer.None();
                    case Ownership.Owner.Nobody n -> new WebGateway.Peer.None();
                    case Ownership.Owner.Moving m -> new WebGateway.Peer.Moving(m.why());
                    case Ownership.Owner.There t ->
                        new WebGateway.Peer.At(
                            t.replica().id(), t.replica().webAddress(), t.replica().certificate());
                  };
                }
              });
          store.leases().orElseThrow().fenceWritesBy(o::epochOf);
          deployments.orElseThrow().replicated(o);
          leases.ifPresent(
              l ->
                  l.announce(
                      id -> {
                        o.claimNow("#" + id, "created through this replica");
                        o.running("#" + id, id);
                      },
                      id -> handlersLater(() -> o.forget("#" + id))));
        });
    deployments.ifPresent(schedules::persistence);
    deployments.ifPresent(d -> logs.archive(new StoredLogs(store.logs(), d::nameOf)));
    List<BindableService> bindable =
        List.of(
            new ClientService(
                apps,
                containers,
                logs,
                timer,
                schedules,
                web,
                images,
                calls,
                deployments,
                secretStore,
                volumes,
                leases,
                this::clusterStatus,
                activity),
            new ImageService(images),
            new ContainerService(containers, pool),
            new BlobService(
                blobs,
                id -> apps.find(id).isPresent(),
                id -> deployments.map(d -> d.keeps(id)).orElse(false),
                new CrossAppCalls(apps, deployments)::allows),
            new VolumeService(volumes, apps::volumesOf),
            new TokenService(webTokens));
    this.handlers =
        Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("skiff-rpc-", 0).factory());
    this.forwarding =
        ownership.map(
            o ->
                new Forwarding(
                    o,
                    listen.limits().maxMessageBytes(),
                    id -> apps.find(id).isPresent(),
                    id -> calls.live(id).isPresent(),
                    calls::stored,
                    handlers));
    BlockingHandlers blocking = BlockingHandlers.on(handlers);
    List<ServerServiceDefinition> services =
        bindable.stream().map(s -> ServerInterceptors.intercept(s, blocking)).toList();
    TokenInterceptor interceptor = new TokenInterceptor(tokens);
    try {
      this.containerSocket = ContainerSocket.open();
    } catch (RuntimeException e) {
      web.close();
      timer.shutdownNow();
      launcher.shutdownNow();
      handlers.shutdownNow();
      throw e;
    }
    NettyServerBuilder socket =
        NettyServerBuilder.forAddress(listen.address())
            .directExecutor()
            .maxInboundMessageSize(listen.limits().maxMessageBytes())
            .permitKeepAliveTime(10, TimeUnit.SECONDS)
            .permitKeepAliveWithoutCalls(true);
    // Runs after the token check and the principal filter (server interceptors run in reverse).
    forwarding.ifPresent(socket::intercept);
    socket.intercept(PrincipalFilter.noContainers()); // containers use their socket
    socket.intercept(interceptor);
    // The same services without a socket, for a client in this JVM: its calls skip the loopback
    // round trip and the encoding of messages (an embedded control plane's own SDK client).
    this.inProcessName = "skiff-" + UUID.randomUUID();
    InProcessServerBuilder local = InProcessServerBuilder.forName(inProcessName).directExecutor();
    forwarding.ifPresent(local::intercept); // the dashboard's calls reach every replica's apps
    local.intercept(interceptor);
    listen.tls().ifPresent(c -> socket.sslContext(c.grpc()));
    services.forEach(socket::addService);
    services.forEach(local::addService);
    NettyServerBuilder forContainers =
        containerSocket
            .serverBuilder()
            .directExecutor()
            .maxInboundMessageSize(listen.limits().maxMessageBytes())
            .permitKeepAliveTime(10, TimeUnit.SECONDS)
            .permitKeepAliveWithoutCalls(true)
            .intercept(PrincipalFilter.containersOnly())
            .intercept(interceptor);
    services.forEach(forContainers::addService);
    // The same for containers on other machines (pods), over TCP with the API's TLS.
    Optional<NettyServerBuilder> forRemoteContainers =
        listen
            .containerAddress()
            .map(
                a -> {
                  NettyServerBuilder b =
                      NettyServerBuilder.forAddress(a)
                          .directExecutor()
                          .maxInboundMessageSize(listen.limits().maxMessageBytes())
                          .permitKeepAliveTime(10, TimeUnit.SECONDS)
                          .permitKeepAliveWithoutCalls(true)
                          .intercept(PrincipalFilter.containersOnly())
                          .intercept(interceptor);
                  listen.tls().ifPresent(c -> b.sslContext(c.grpc()));
                  services.forEach(b::addService);
                  return b;
                });
    Server started = null;
    Server containersStarted = null;
    Server remoteStarted = null;
    try {
      started = socket.build().start();
      containersStarted = forContainers.build().start();
      if (forRemoteContainers.isPresent()) {
        remoteStarted = forRemoteContainers.get().build().start();
      }
      this.inProcess = local.build().start();
    } catch (IOException e) {
      if (started != null) {
        started.shutdownNow();
      }
      if (containersStarted != null) {
        containersStarted.shutdownNow();
      }
      if (remoteStarted != null) {
        remoteStarted.shutdownNow();
      }
      containerSocket.close();
      web.close();
      timer.shutdownNow();
      launcher.shutdownNow();
      handlers.shutdownNow();
      throw new UncheckedIOException(
          "could not start the Skiff control plane on "
              + listen.address()
              + listen.containerAddress().map(a -> " (containers: " + a + ")").orElse("")
              + ": "
              + e.getMessage(),
          e);
    }
    this.server = started;
    this.containerServer = containersStarted;
    this.containerTcpServer = Optional.ofNullable(remoteStarted);
    String host =
        listen.address().getAddress().isAnyLocalAddress()
            ? InetAddress.getLoopbackAddress().getHostAddress()
            : listen.address().getAddress().getHostAddress();
    this.target = host + ":" + server.getPort();
    // The dashboard reads and acts through the client API, as the CLI does, in this JVM.
    Metadata bearer = new Metadata();
    bearer.put(TokenInterceptor.AUTHORIZATION, "Bearer " + tokens.clientToken());
    this.dashboardChannel =
        InProcessChannelBuilder.forName(inProcessName)
            .intercept(MetadataUtils.newAttachHeadersInterceptor(bearer))
            .build();
    this.dashboard =
        new Dashboard(tokens.clientToken(), dashboardChannel, secretStore::list, clock);
    this.containerTarget =
        containerTcpServer.map(
            s ->
                listen
                        .containerAddress()
                        .map(a -> a.getAddress().isAnyLocalAddress() ? host : a.getHostString())
                        .orElse(host)
                    + ":"
                    + s.getPort());
    listening.set(new ContainerEndpoint(containerSocket.path()));
    deployments.ifPresent(d -> d.onRequeue(blobs::reown));
    if (ownership.isPresent()) {
      Replication r = listen.replication().orElseThrow();
      String webHost = web.baseUrl().replaceFirst("^https?://", "");
      ownership
          .get()
          .start(
              new LeaseStore.Replica(
                  r.id(),
                  r.advertise().orElse(target),
                  webHost,
                  listen.tls().map(ServerCertificate::certificatePem),
                  clock.millis(),
                  0),
              new Ownership.Listener() {
                @Override
                public void taken(String app, String reason) {
                  deployments.orElseThrow().takeOver(app, reason);
                }

                @Override
                public void lost(String app, String why) {
                  deployments.orElseThrow().lost(app, why);
                }
              });
    } else {
      deployments.ifPresent(Deployments::restore);
    }
    long tickMillis = config.tick().toMillis();
    this.ticker =
        timer.scheduleWithFixedDelay(this::tick, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
    this.sweeper =
        new ScheduledThreadPoolExecutor(
            1, Thread.ofPlatform().name("skiff-sweeper").daemon().factory());
    sweeper.scheduleWithFixedDelay(this::sweep, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
    upAndRunning = true;
    LOG.log(Level.DEBUG, "control plane listening on {0}", target);
  }

  /**
   * Starts a control plane on a free loopback port.
   *
   * @param config its settings
   * @param backend where its containers run; closed with the control plane
   * @param clock its time source
   * @throws UncheckedIOException if the server cannot listen
   */
  static ControlPlane start(ControlPlaneConfig config, ContainerBackend backend, Clock clock) {
    return new ControlPlane(config, backend, clock);
  }

  /**
   * Starts the long-running control plane: it listens where {@code listen} says, keeps deployed
   * apps and spawned calls in its store, and restores them from it now.
   *
   * @throws UncheckedIOException if the server cannot listen
   */
  static ControlPlane start(
      ControlPlaneConfig config, ContainerBackend backend, Clock clock, Listen listen) {
    return new ControlPlane(config, backend, clock, listen);
  }

  /** The URL of the web gateway, {@code http://127.0.0.1:PORT} ({@code https} with TLS). */
  String webBaseUrl() {
    return web.baseUrl();
  }

  /**
   * Why the control plane is not ready to serve, if it is not ({@code /readyz}): it is still
   * starting (restoring deployed apps), it is stopping, its store did not answer a trivial query
   * within {@link #READY_DEADLINE}, or its backend cannot start containers. The query runs on a
   * thread of its own; probes that come while one is unanswered wait for that one instead of
   * starting another, so a store that hangs holds one thread, not one per probe.
   */
  Optional<String> notReady() {
    if (!upAndRunning) {
      return Optional.of("the control plane is starting: deployed apps are being restored");
    }
    if (closed.get()) {
      return Optional.of("the control plane is stopping");
    }
    CompletableFuture<Void> check = storeCheck.get();
    if (check == null || check.isDone()) {
      CompletableFuture<Void> fresh = new CompletableFuture<>();
      if (storeCheck.compareAndSet(check, fresh)) {
        Thread.ofVirtual()
            .name("skiff-ready-check")
            .start(
                () -> {
                  try {
                    store.check();
                    fresh.complete(null);
                  } catch (RuntimeException e) {
                    fresh.completeExceptionally(e);
                  }
                });
      }
      check = storeCheck.get();
    }
    try {
      check.get(READY_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return Optional.of(
          "the store did not answer a trivial query within " + READY_DEADLINE.toMillis() + " ms");
    } catch (ExecutionException e) {
      return Optional.of(
          "the store could not answer a trivial query: " + e.getCause().getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("the readiness check was interrupted");
    }
    return backend.unavailable().map(why -> "the container backend is unavailable: " + why);
  }

  /**
   * Where the TCP listener for containers listens ({@code host:port}, the port it got), if it has
   * one.
   */
  Optional<String> containerTarget() {
    return containerTarget;
  }

  @Override
  public String target() {
    return target;
  }

  @Override
  public Optional<String> inProcessName() {
    return Optional.of(inProcessName);
  }

  @Override
  public String token() {
    return tokens.clientToken();
  }

  /**
   * Serves the dashboard at {@code /} and under {@code /_skiff/ui/} of the web port from now on (a
   * server does at start; an embedded control plane once a run asks) and answers its URL.
   */
  @Override
  public Optional<String> openDashboard() {
    web.serveUi(dashboard);
    return Optional.of(web.baseUrl() + WebUi.PREFIX);
  }

  /**
   * The replicas and their leases, read from the database now; a control plane without replicas
   * answers with itself alone.
   */
  private ClusterStatus clusterStatus() {
    ClusterStatus.Builder b = ClusterStatus.newBuilder();
    if (ownership.isEmpty()) {
      return b.setReplicated(false)
          .addReplicas(
              ReplicaStatus.newBuilder()
                  .setId("")
                  .setAddress(target)
                  .setWebAddress(web.baseUrl().replaceFirst("^https?://", ""))
                  .setLive(true))
          .build();
    }
    Ownership o = ownership.get();
    b.setReplicated(true).setReplica(o.id()).setLeaseMs(o.leaseLength().toMillis());
    for (LeaseStore.Replica r : o.replicas()) {
      b.addReplicas(
          ReplicaStatus.newBuilder()
              .setId(r.id())
              .setAddress(r.address())
              .setWebAddress(r.webAddress())
              .setStartedAtMs(r.startedAtMs())
              .setHeartbeatAgeMs(r.heartbeatAgeMs())
              .setLive(r.heartbeatAgeMs() < o.leaseLength().toMillis()));
    }
    for (LeaseStore.Lease l : o.leases()) {
      b.addLeases(
          AppLease.newBuilder()
              .setApp(l.app())
              .setOwner(l.owner().orElse(""))
              .setEpoch(l.epoch())
              .setExpiresInMs(l.expiresInMs())
              .setHeldForMs(l.heldForMs())
              .setReason(l.reason()));
    }
    return b.build();
  }

  /** Runs {@code work} on a virtual thread: it waits for the store. */
  private static void handlersLater(Runnable work) {
    Thread.ofVirtual().name("skiff-lease-end").start(work);
  }

  private void placeWaiting() {
    try {
      apps.placeWaiting();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "placing containers that waited for capacity failed", e);
    }
  }

  private void tick() {
    try {
      apps.tick();
      leases.ifPresent(AppLeases::stopLapsed);
      deployments.ifPresent(Deployments::tick);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "control plane housekeeping failed", e);
    }
  }

  /**
   * Deletes the blobs of stopped apps and the kept blobs past the retention that no unfinished call
   * refers to, and every {@link #sweepEvery} the results and runs past their retention. Runs on the
   * sweeper thread: it waits for the store.
   */
  private void sweep() {
    try {
      Instant now = clock.instant();
      blobs.sweep(id -> apps.find(id).isPresent(), now.minus(retention), this::pinnedBlobs);
      Instant tick = MonotonicClock.system().instant();
      if (Duration.between(lastSweep, tick).compareTo(sweepEvery) >= 0) {
        lastSweep = tick;
        calls.sweep();
        store.runs().sweep(clock.instant().minus(retention)); // runs keep wall-clock times
      }
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "control plane housekeeping failed", e);
    }
  }

  /** The blobs that the arguments of unfinished stored calls refer to. */
  private Set<String> pinnedBlobs() {
    Set<String> pinned = new HashSet<>();
    for (StoredCall call : store.calls().unfinished()) {
      BlobStore.referencedId(call.args()).ifPresent(pinned::add);
    }
    return pinned;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    ticker.cancel(false);
    sweeper.shutdown();
    try {
      sweeper.awaitTermination(5, TimeUnit.SECONDS); // a sweep in flight finishes with the store
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // Gives up this replica's leases first: the others take its apps over at once, and the failures
    // that stopping its apps causes are refused by the store (they belong to the new owners).
    ownership.ifPresent(Ownership::close);
    forwarding.ifPresent(Forwarding::close);
    schedules.close();
    web.close();
    // Closed before the apps stop, so that the failures their shutdown causes are not stored as
    // results: unfinished calls of deployed apps run again after a restart.
    store.close();
    pool.close();
    images.close();
    apps.stopAll("the control plane is shutting down");
    logs.closeAll();
    launcher.shutdown();
    try {
      launcher.awaitTermination(5, TimeUnit.SECONDS); // launches in flight register their handles
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    awaitContainerExits(config.stopGrace());
    backend.close();
    dashboardChannel.shutdownNow();
    inProcess.shutdownNow();
    containerServer.shutdownNow();
    containerTcpServer.ifPresent(Server::shutdownNow);
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    timer.shutdownNow();
    handlers.shutdown();
    containerSocket.close();
    blobs.close();
    LOG.log(Level.DEBUG, "control plane on {0} closed", target);
  }

  /** Gives containers that were told to shut down a moment to exit by themselves. */
  private void awaitContainerExits(Duration limit) {
    List<CompletableFuture<Integer>> exits =
        Stream.concat(
                containers.values().stream().flatMap(c -> handleOf(c).stream()),
                pool.handles().stream())
            .map(ContainerHandle::onExit)
            .toList();
    try {
      CompletableFuture.allOf(exits.toArray(CompletableFuture<?>[]::new))
          .get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // The backend kills what is left.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Optional<ContainerHandle> handleOf(Container c) {
    return c.scheduler.handleOf(c);
  }
}
