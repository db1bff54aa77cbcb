package dev.skiff.internal;

import dev.skiff.AppRun;
import dev.skiff.ContainerStatus;
import dev.skiff.DeployedApp;
import dev.skiff.FunctionOptions;
import dev.skiff.FunctionStatus;
import dev.skiff.Image;
import dev.skiff.InvalidConfigurationException;
import dev.skiff.RunOptions;
import dev.skiff.ScheduledRun;
import dev.skiff.Secret;
import dev.skiff.SkiffException;
import dev.skiff.UnsupportedOptionException;
import dev.skiff.WebEndpointOptions;
import dev.skiff.WebRequest;
import dev.skiff.WebResponse;
import dev.skiff.WebToken;
import dev.skiff.proto.AppHistoryRequest;
import dev.skiff.proto.AppStatus;
import dev.skiff.proto.AppStatusRequest;
import dev.skiff.proto.ClusterStatus;
import dev.skiff.proto.ClusterStatusRequest;
import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.CreateAppResponse;
import dev.skiff.proto.CreateWebTokenRequest;
import dev.skiff.proto.CreateWebTokenResponse;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.StopAppRequest;
import dev.skiff.proto.TokenApiGrpc;
import dev.skiff.proto.UndeployAppRequest;
import java.io.File;
import java.io.Serializable;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The machinery behind {@code dev.skiff.App}, which keeps only the public API and its typed
 * overloads: the app's definition (its functions, web endpoints and the apps it may call), checked
 * as each function is defined; its ephemeral runs ({@link #run}: images, the control plane's app,
 * logs); its deployments; and where calls of its functions go ({@link #binding}).
 *
 * <p>One lock guards the definition and the current run, so a function cannot be defined while the
 * app runs and a run is started at most once. Thread-safe.
 */
public final class AppRuntime {
  /** How long closing a run waits for the control plane to stop its app. */
  private static final Duration STOP_DEADLINE = Duration.ofSeconds(30);

  private final String name;
  // Guards functions, webEndpoints, callableApps, running and deployedUrls.
  private final Object lock = new Object();
  private final Map<String, FunctionSpec> functions = new LinkedHashMap<>();
  private final Map<String, WebEndpointSpec> webEndpoints = new LinkedHashMap<>();
  private final Set<String> callableApps = new TreeSet<>();
  private Run running;
  private Map<String, String> deployedUrls = Map.of();

  /** The machinery of the app called {@code name} (already checked by the caller). */
  public AppRuntime(String name) {
    this.name = name;
  }

  /** Adds deployed apps (names already checked) whose functions this app's containers may call. */
  public void allowCalls(Collection<String> deployedApps) {
    synchronized (lock) {
      callableApps.addAll(deployedApps);
    }
  }

  // ------------------------------------------------------------------ definition

  /**
   * Defines a function (or a generator) of {@code arity} parameters from a method reference,
   * checking its method, options and name at once.
   *
   * @param <R> the result type the caller's handle declares (for a generator: its item type)
   * @throws InvalidConfigurationException if the definition is not allowed
   */
  public <R> Invoker<R> define(
      Serializable lambda,
      Consumer<FunctionOptions.Builder> configurer,
      boolean generator,
      int arity) {
    return define(lambda, configurer, generator, Optional.empty(), arity);
  }

  /**
   * Defines a generator of {@code arity} parameters, checking now that its method's declared item
   * type can be carried and, where {@code itemType} is given, that its items are {@code itemType}s.
   *
   * @param itemType the item type the caller's handle declares, or {@code null} where it was not
   *     given (the handle's type argument is then not known at run time)
   * @throws InvalidConfigurationException if the definition is not allowed
   */
  public <T> Invoker<T> defineGenerator(
      Serializable lambda,
      Class<T> itemType,
      Consumer<FunctionOptions.Builder> configurer,
      int arity) {
    return define(lambda, configurer, true, Optional.ofNullable(itemType), arity);
  }

  private <R> Invoker<R> define(
      Serializable lambda,
      Consumer<FunctionOptions.Builder> configurer,
      boolean generator,
      Optional<Class<?>> itemType,
      int arity) {
    Objects.requireNonNull(configurer, "options");
    Method method = MethodResolver.resolve(lambda);
    if (method.getParameterCount() != arity) {
      throw new InvalidConfigurationException(
          "function '"
              + method.getName()
              + "' takes "
              + method.getParameterCount()
              + " parameters but was defined with "
              + arity);
    }
    String defaultName = method.getName().startsWith("lambda$") ? null : method.getName();
    FunctionOptions.Builder builder =
        FunctionOptions.builder(defaultName == null ? "<lambda>" : defaultName);
    configurer.accept(builder);
    FunctionOptions options = builder.build();
    String fname = options.name().orElse(defaultName);
    if (fname == null) {
      throw new InvalidConfigurationException(
          "a function defined by a lambda needs a name: add f -> f.name(\"...\")");
    }
    if (generator && options.retries().isPresent()) {
      throw new InvalidConfigurationException(
          "generator '" + fname + "': retries are not supported for generators; remove retries");
    }
    if (options.schedule().isPresent() && arity != 0) {
      throw new InvalidConfigurationException(
          "function '"
              + fname
              + "': schedule is only allowed on functions without parameters;"
              + " it takes "
              + arity);
    }
    if (options.schedule().isPresent() && generator) {
      throw new InvalidConfigurationException(
          "generator '" + fname + "': schedule is not supported for generators; use a function");
    }
    FunctionSpec spec =
        generator
            ? FunctionSpec.ofGenerator(name, fname, method, itemType, options)
            : FunctionSpec.of(name, fname, method, false, options);
    synchronized (lock) {
      if (running != null) {
        throw new InvalidConfigurationException(
            "function '"
                + fname
                + "' was defined while app '"
                + name
                + "' is running; define"
                + " functions before app.run()");
      }
      if (functions.containsKey(fname)) {
        throw new InvalidConfigurationException(
            "app '"
                + name
                + "' already has a function named '"
                + fname
                + "'; give one of them another name with f -> f.name(\"...\")");
      }
      functions.put(fname, spec);
    }
    return new Invoker<>(spec, this::binding);
  }

  /** Where calls go: this program's run of the app, or the container's own app. */
  AppBinding binding() {
    synchronized (lock) {
      if (running != null) {
        return running.binding;
      }
    }
    return ContainerContext.current()
        .filter(b -> b.appName().equals(name))
        .orElseThrow(
            () ->
                new SkiffException(
                    "app '"
                        + name
                        + "' is not running: call functions inside"
                        + " try (var run = app.run()) { ... }, or use .local()"));
  }

  // ------------------------------------------------------------------ web endpoints

  /**
   * Defines a web endpoint served by a method of {@code arity} parameters.
   *
   * @return the endpoint's function name and options
   * @throws InvalidConfigurationException if the definition is not allowed
   */
  public DefinedWebEndpoint defineWebEndpoint(
      Serializable lambda, Consumer<WebEndpointOptions.Builder> configurer, int arity) {
    Objects.requireNonNull(configurer, "options");
    Method m = MethodResolver.resolve(lambda);
    WebEndpointOptions.Builder builder = WebEndpointOptions.builder(m.getName());
    configurer.accept(builder);
    WebEndpointOptions web = builder.build();
    String what = "web endpoint '" + web.label() + "'";
    FunctionOptions.Builder probe = FunctionOptions.builder(m.getName());
    web.function().accept(probe);
    FunctionOptions function = probe.build();
    if (function.retries().isPresent()) {
      throw new InvalidConfigurationException(
          what + ": retries are not supported for web endpoints; remove retries");
    }
    if (function.schedule().isPresent()) {
      throw new InvalidConfigurationException(
          what + ": a web endpoint cannot have a schedule; schedule another function");
    }
    boolean raw = arity == 1 && m.getParameterTypes()[0] == WebRequest.class;
    if (raw && FunctionSpec.awaitedType(m.getGenericReturnType()) != WebResponse.class) {
      throw new InvalidConfigurationException(
          what
              + ": a method taking a WebRequest must return a WebResponse; "
              + m.getDeclaringClass().getName()
              + "."
              + m.getName()
              + " returns "
              + m.getGenericReturnType().getTypeName());
    }
    List<String> parameters = new ArrayList<>();
    if (!raw) {
      for (Parameter p : m.getParameters()) {
        if (!p.isNamePresent()) {
          throw new InvalidConfigurationException(
              what
                  + ": the parameter names of "
                  + m.getDeclaringClass().getName()
                  + "."
                  + m.getName()
                  + " are not in its class file, and requests are mapped onto"
                  + " parameters by name; compile with javac -parameters");
        }
        parameters.add(p.getName());
      }
    }
    Invoker<Object> invoker = define(lambda, web.function(), false, arity);
    WebEndpointSpec spec =
        new WebEndpointSpec(
            web.method(),
            web.label(),
            web.requiresAuth(),
            raw,
            parameters,
            web.maxBodyBytes(),
            web.maxConcurrentRequests());
    synchronized (lock) {
      webEndpoints.put(invoker.spec().name(), spec);
    }
    WebEndpointSpec.register(m, spec);
    return new DefinedWebEndpoint(invoker.spec().name(), web);
  }

  /**
   * A defined web endpoint.
   *
   * @param function its function's name within the app
   * @param options its options
   */
  public record DefinedWebEndpoint(String function, WebEndpointOptions options) {}

  private static FunctionDef withWebEndpoint(FunctionDef def, WebEndpointSpec web) {
    return web == null ? def : def.toBuilder().setWebEndpoint(web.toProto()).build();
  }

  /**
   * The URL of a web endpoint while this program runs the app, or after it deployed it.
   *
   * @throws SkiffException if the app is not running here and was not deployed from here
   */
  public String webUrl(String function) {
    synchronized (lock) {
      if (running == null && deployedUrls.containsKey(function)) {
        return deployedUrls.get(function);
      }
      if (running == null) {
        throw new SkiffException(
            "app '"
                + name
                + "' is not running: web endpoint '"
                + function
                + "' has a URL only"
                + " inside try (var run = app.run()) { ... }");
      }
      String url = running.webUrls.get(function);
      if (url == null) {
        throw new SkiffException(
            "the control plane of app '"
                + name
                + "' gave no URL for web endpoint '"
                + function
                + "'");
      }
      return url;
    }
  }

  // ------------------------------------------------------------------ running

  /** Starts an ephemeral run of the app, as {@code App.run(RunOptions)} documents. */
  public AppRun run(RunOptions options) {
    synchronized (lock) {
      if (running != null) {
        throw new SkiffException("app '" + name + "' is already running");
      }
    }
    List<FunctionSpec> specs = specs();
    CreateAppRequest.Builder request = definition(specs, true);
    options.maxContainers().ifPresent(cap -> capContainers(request, cap));
    // Absolute, because a container's working directory is not this program's (in a sandbox it is
    // a private /tmp).
    request.addAllClasspath(
        Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
            .filter(e -> !e.isEmpty())
            .map(e -> Path.of(e).toAbsolutePath().toString())
            .toList());
    Connection connection = Connection.open();
    try {
      buildImages(connection, specs, request, options);
    } catch (RuntimeException e) {
      connection.close();
      throw e;
    }
    String appId;
    Map<String, String> webUrls;
    long leaseMillis;
    try {
      CreateAppResponse created = connection.client().blocking().createApp(request.build());
      appId = created.getAppId();
      webUrls = Map.copyOf(created.getWebUrlsMap());
      leaseMillis = created.getLeaseMs();
    } catch (RuntimeException e) {
      RuntimeException translated = connection.client().translate(e);
      connection.close();
      throw translated;
    }
    // A server's ephemeral app lives only while its lease is renewed; an embedded one gives none.
    Optional<LeaseRenewer> lease =
        leaseMillis > 0
            ? Optional.of(
                LeaseRenewer.start(
                    connection.client(), name, appId, Duration.ofMillis(leaseMillis)))
            : Optional.empty();
    if (options.dashboard()) {
      printDashboard(connection);
    }
    AppBinding binding = new AppBinding(name, appId, connection.client(), options.showProgress());
    LogPrinter logs = options.showLogs() ? LogPrinter.start(binding) : null;
    Run run = new Run(binding, connection, logs, webUrls, lease);
    synchronized (lock) {
      running = run;
    }
    RunningApps.add(binding);
    return run;
  }

  /**
   * Prints where the dashboard is: the embedded control plane's (served from now on), with the
   * token to log in with, or the server's, whose client token the user has.
   */
  private static void printDashboard(Connection connection) {
    if (connection.inThisJvm().isPresent()) {
      var plane = connection.inThisJvm().get();
      plane
          .openDashboard()
          .ifPresentOrElse(
              url ->
                  System.out.println(
                      "[skiff] dashboard: "
                          + url
                          + " (log in with this program's token "
                          + plane.token()
                          + ")"),
              () -> System.out.println("[skiff] this control plane has no dashboard"));
      return;
    }
    try {
      ClusterStatus status =
          connection
              .client()
              .blocking()
              .getClusterStatus(ClusterStatusRequest.getDefaultInstance());
      status.getReplicasList().stream()
          .filter(r -> r.getId().equals(status.getReplica()))
          .findFirst()
          .ifPresent(
              r ->
                  System.out.println(
                      "[skiff] dashboard: "
                          + (connection.client().plaintext() ? "http://" : "https://")
                          + r.getWebAddress()
                          + "/_skiff/ui/ (log in with your client token)"));
    } catch (RuntimeException e) {
      System.out.println(
          "[skiff] could not ask the server where its dashboard is: " + e.getMessage());
    }
  }

  /**
   * Gives each function that sets no {@code maxContainers} the run's cap (at least its {@code
   * minContainers}, as the control plane's own default is).
   */
  private static void capContainers(CreateAppRequest.Builder request, int cap) {
    for (FunctionDef.Builder function : request.getFunctionsBuilderList()) {
      if (function.getMaxContainers() == 0) {
        function.setMaxContainers(Math.max(cap, function.getMinContainers()));
      }
    }
  }

  /** The app's functions, in definition order. */
  private List<FunctionSpec> specs() {
    synchronized (lock) {
      return List.copyOf(functions.values());
    }
  }

  /**
   * The app's definition as the control plane takes it, without its classpath or images; checks
   * that a deployed app's secrets are all named ones.
   */
  private CreateAppRequest.Builder definition(List<FunctionSpec> specs, boolean withSecrets) {
    Map<String, WebEndpointSpec> web;
    synchronized (lock) {
      web = Map.copyOf(webEndpoints);
    }
    CreateAppRequest.Builder request = CreateAppRequest.newBuilder().setAppName(name);
    synchronized (lock) {
      request.addAllCallableApps(callableApps);
    }
    specs.forEach(s -> request.addFunctions(withWebEndpoint(s.toProto(), web.get(s.name()))));
    for (FunctionSpec spec : specs) {
      if (!spec.options().secrets().isEmpty()) {
        if (!withSecrets) {
          for (Secret secret : spec.options().secrets()) {
            if (!(secret instanceof Secret.Named)) {
              throw new UnsupportedOptionException(
                  "not implemented yet: Secret.fromMap and Secret.fromDotenv in deployed apps"
                      + " (function '"
                      + spec.name()
                      + "' of app '"
                      + name
                      + "'); store the"
                      + " values with 'skiff secret create' and use Secret.fromName");
            }
          }
        }
        request.putSecretLayers(
            spec.name(), SecretValues.layers(spec.options().secrets(), spec.name()));
      }
    }
    return request;
  }

  // ------------------------------------------------------------------ deploying

  /** Deploys the app to the long-running server, as {@code App.deploy()} documents. */
  public DeployedApp deploy() {
    List<FunctionSpec> specs = specs();
    CreateAppRequest.Builder request = definition(specs, false);
    DeployedApp deployed;
    try (Connection connection = Connection.openServer()) {
      buildImages(connection, specs, request, RunOptions.defaults());
      deployed = Deployer.deploy(connection.client(), request.build());
    }
    synchronized (lock) {
      deployedUrls = deployed.webUrls();
    }
    return deployed;
  }

  /** Stops and forgets the app's deployment, as {@code App.undeploy()} documents. */
  public void undeploy() {
    try (Connection connection = Connection.openServer()) {
      try {
        connection
            .client()
            .blocking()
            .undeployApp(UndeployAppRequest.newBuilder().setAppName(name).build());
      } catch (RuntimeException e) {
        throw connection.client().translate(e);
      }
    }
    synchronized (lock) {
      deployedUrls = Map.of();
    }
  }

  /**
   * Builds each distinct image of the app's functions (in definition order) and names it in their
   * definitions. A failed build throws before the app exists.
   */
  private static void buildImages(
      Connection connection,
      List<FunctionSpec> specs,
      CreateAppRequest.Builder request,
      RunOptions options) {
    Map<Image, String> built = new LinkedHashMap<>();
    for (int i = 0; i < specs.size(); i++) {
      Image image = specs.get(i).options().image().orElse(null);
      if (image == null) {
        continue;
      }
      String id = built.get(image);
      if (id == null) {
        id = ImageBuilds.build(connection.client(), image, options.showLogs()).imageId();
        built.put(image, id);
      }
      request.setFunctions(i, request.getFunctions(i).toBuilder().setImageId(id));
    }
  }

  private final class Run implements AppRun {
    final AppBinding binding;
    private final Connection connection;
    private final LogPrinter logs;
    final Map<String, String> webUrls;
    private final Optional<LeaseRenewer> lease;
    private boolean closed; // guarded by AppRuntime.this.lock

    Run(
        AppBinding binding,
        Connection connection,
        LogPrinter logs,
        Map<String, String> webUrls,
        Optional<LeaseRenewer> lease) {
      this.binding = binding;
      this.connection = connection;
      this.logs = logs;
      this.webUrls = webUrls;
      this.lease = lease;
    }

    @Override
    public String appId() {
      return binding.appId();
    }

    @Override
    public List<FunctionStatus> status() {
      return StatusCodec.fromProto(appStatus());
    }

    @Override
    public List<ContainerStatus> warmContainers() {
      return StatusCodec.warmContainers(appStatus());
    }

    private AppStatus appStatus() {
      synchronized (lock) {
        if (closed) {
          throw new SkiffException("app '" + name + "' is not running: its run was closed");
        }
      }
      try {
        return connection
            .client()
            .blocking()
            .getAppStatus(AppStatusRequest.newBuilder().setAppId(appId()).build());
      } catch (RuntimeException e) {
        throw connection.client().translate(e);
      }
    }

    @Override
    public List<ScheduledRun> history() {
      synchronized (lock) {
        if (closed) {
          throw new SkiffException("app '" + name + "' is not running: its run was closed");
        }
      }
      try {
        return HistoryCodec.fromProto(
            connection
                .client()
                .blocking()
                .getAppHistory(AppHistoryRequest.newBuilder().setAppId(appId()).build()));
      } catch (RuntimeException e) {
        throw connection.client().translate(e);
      }
    }

    @Override
    public WebToken createWebToken(String name) {
      synchronized (lock) {
        if (closed) {
          throw new SkiffException(
              "app '" + AppRuntime.this.name + "' is not running: its run was closed");
        }
      }
      try {
        CreateWebTokenResponse created =
            TokenApiGrpc.newBlockingStub(connection.client().channel())
                .createWebToken(CreateWebTokenRequest.newBuilder().setName(name).build());
        return new WebToken(created.getToken().getKeyId(), created.getSecret());
      } catch (RuntimeException e) {
        throw connection.client().translate(e);
      }
    }

    @Override
    public void close() {
      synchronized (lock) {
        if (closed) {
          return;
        }
        closed = true;
        running = null;
      }
      RunningApps.remove(binding);
      lease.ifPresent(LeaseRenewer::close);
      try {
        connection
            .client()
            .blocking()
            // A server that does not answer (paused) must not hold the caller's close forever.
            .withDeadlineAfter(STOP_DEADLINE.toSeconds(), TimeUnit.SECONDS)
            .stopApp(StopAppRequest.newBuilder().setAppId(appId()).build());
      } catch (RuntimeException e) {
        // The control plane may be gone already; closing must still release everything.
      } finally {
        if (logs != null) {
          logs.awaitEnd();
        }
        connection.close();
      }
    }
  }
}
