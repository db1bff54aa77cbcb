package dev.skiff;

import dev.skiff.internal.AppBinding;
import dev.skiff.internal.Connection;
import dev.skiff.internal.ContainerContext;
import dev.skiff.internal.Deployer;
import dev.skiff.internal.FunctionSpec;
import dev.skiff.internal.ImageBuilds;
import dev.skiff.internal.Invoker;
import dev.skiff.internal.LogPrinter;
import dev.skiff.internal.MethodResolver;
import dev.skiff.internal.RunningApps;
import dev.skiff.internal.WebEndpointSpec;
import dev.skiff.proto.AppHistoryRequest;
import dev.skiff.proto.AppStatusRequest;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * A named group of functions, like the seed's {@code modal.App()}. Functions are defined from
 * static method references (or lambdas that capture nothing), usually in static fields:
 *
 * <pre>{@code
 * static final App app = App.named("hello");
 * static final Function1<String, String> hello = app.function(Hello::hello);
 *
 * try (var run = app.run()) {
 *   System.out.println(hello.remote("World"));
 * }
 * }</pre>
 *
 * <p>In a container, the user's class is initialised as in the calling program, so the same static
 * fields define the same functions there. Thread-safe.
 */
public final class App {
  private final String name;
  // Guards functions, webEndpoints and running.
  private final Object lock = new Object();
  private final Map<String, FunctionSpec> functions = new LinkedHashMap<>();
  private final Map<String, WebEndpointSpec> webEndpoints = new LinkedHashMap<>();
  private Run running;
  private final Set<String> callableApps = new TreeSet<>(); // guarded by lock
  private Map<String, String> deployedUrls = Map.of();

  /** What an app's name may be: letters, digits, {@code -} and {@code _}; at most 63. */
  private static final Pattern APP_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_\\-]{0,62}");

  private App(String name) {
    this.name = name;
  }

  /**
   * An app called {@code name} (letters, digits, {@code -} and {@code _}; at most 63).
   *
   * @throws InvalidConfigurationException if the name is not allowed
   */
  public static App named(String name) {
    if (name == null || !APP_NAME.matcher(name).matches()) {
      throw new InvalidConfigurationException(
          "app name '"
              + name
              + "' is not allowed; use 1-63 of [A-Za-z0-9_-], starting with a"
              + " letter or digit");
    }
    return new App(name);
  }

  /**
   * Lets this app's functions call the functions of the deployed apps {@code deployedApps}, as
   * {@link RemoteFunction#fromName} finds them from inside a container. Without it, a container may
   * call the functions of its own app only: its token is refused for any other app with a {@code
   * PERMISSION_DENIED} that names both apps. The list travels with the app's definition, so it
   * holds for {@link #run()} and {@link #deploy()} alike.
   *
   * @return this app
   * @throws InvalidConfigurationException if a name is not an allowed app name
   */
  public App canCall(String... deployedApps) {
    for (String app : deployedApps) {
      if (app == null || !APP_NAME.matcher(app).matches()) {
        throw new InvalidConfigurationException(
            "app '"
                + name
                + "': canCall(\""
                + app
                + "\") names no allowed app name; use 1-63 of"
                + " [A-Za-z0-9_-], starting with a letter or digit");
      }
    }
    synchronized (lock) {
      callableApps.addAll(List.of(deployedApps));
    }
    return this;
  }

  /** The app's name. */
  public String name() {
    return name;
  }

  // ------------------------------------------------------------------ functions

  /** Defines a function of no parameters. */
  public <R> Function0<R> function(Method0<R> method) {
    return function(method, f -> {});
  }

  /** Defines a function of no parameters with options, e.g. {@code f -> f.timeout(...)}. */
  public <R> Function0<R> function(Method0<R> method, Consumer<FunctionOptions.Builder> options) {
    return new Function0<>(define(method, options, false, 0), method);
  }

  /** Defines a {@code void} function of no parameters (it returns {@code null}). */
  public Function0<Void> function(VoidMethod0 method) {
    return function(method, f -> {});
  }

  /** Defines a {@code void} function of no parameters with options. */
  public Function0<Void> function(VoidMethod0 method, Consumer<FunctionOptions.Builder> options) {
    Method0<Void> adapted =
        () -> {
          method.call();
          return null;
        };
    return new Function0<>(define(method, options, false, 0), adapted);
  }

  /** Defines a function of one parameter. */
  public <A, R> Function1<A, R> function(Method1<A, R> method) {
    return function(method, f -> {});
  }

  /** Defines a function of one parameter with options. */
  public <A, R> Function1<A, R> function(
      Method1<A, R> method, Consumer<FunctionOptions.Builder> options) {
    return new Function1<>(define(method, options, false, 1), method);
  }

  /** Defines a {@code void} function of one parameter (it returns {@code null}). */
  public <A> Function1<A, Void> function(VoidMethod1<A> method) {
    return function(method, f -> {});
  }

  /** Defines a {@code void} function of one parameter with options. */
  public <A> Function1<A, Void> function(
      VoidMethod1<A> method, Consumer<FunctionOptions.Builder> options) {
    Method1<A, Void> adapted =
        a -> {
          method.call(a);
          return null;
        };
    return new Function1<>(define(method, options, false, 1), adapted);
  }

  /** Defines a function of two parameters. */
  public <A, B, R> Function2<A, B, R> function(Method2<A, B, R> method) {
    return function(method, f -> {});
  }

  /** Defines a function of two parameters with options. */
  public <A, B, R> Function2<A, B, R> function(
      Method2<A, B, R> method, Consumer<FunctionOptions.Builder> options) {
    return new Function2<>(define(method, options, false, 2), method);
  }

  /** Defines a function of three parameters. */
  public <A, B, C, R> Function3<A, B, C, R> function(Method3<A, B, C, R> method) {
    return function(method, f -> {});
  }

  /** Defines a function of three parameters with options. */
  public <A, B, C, R> Function3<A, B, C, R> function(
      Method3<A, B, C, R> method, Consumer<FunctionOptions.Builder> options) {
    return new Function3<>(define(method, options, false, 3), method);
  }

  /** Defines a function of four parameters. */
  public <A, B, C, D, R> Function4<A, B, C, D, R> function(Method4<A, B, C, D, R> method) {
    return function(method, f -> {});
  }

  /** Defines a function of four parameters with options. */
  public <A, B, C, D, R> Function4<A, B, C, D, R> function(
      Method4<A, B, C, D, R> method, Consumer<FunctionOptions.Builder> options) {
    return new Function4<>(define(method, options, false, 4), method);
  }

  // ------------------------------------------------------------------ async functions

  /**
   * Defines a function of no parameters that returns a {@link CompletionStage}, like the seed's
   * {@code async def}: the container awaits it and callers get its value.
   */
  public <R> Function0<R> asyncFunction(Method0<? extends CompletionStage<R>> method) {
    return asyncFunction(method, f -> {});
  }

  /** Defines an async function of no parameters with options. */
  public <R> Function0<R> asyncFunction(
      Method0<? extends CompletionStage<R>> method, Consumer<FunctionOptions.Builder> options) {
    Method0<R> awaited = () -> await(method.call());
    return new Function0<>(define(method, options, false, 0), awaited);
  }

  /** Defines an async function of one parameter; see {@link #asyncFunction(Method0)}. */
  public <A, R> Function1<A, R> asyncFunction(Method1<A, ? extends CompletionStage<R>> method) {
    return asyncFunction(method, f -> {});
  }

  /** Defines an async function of one parameter with options. */
  public <A, R> Function1<A, R> asyncFunction(
      Method1<A, ? extends CompletionStage<R>> method, Consumer<FunctionOptions.Builder> options) {
    Method1<A, R> awaited = a -> await(method.call(a));
    return new Function1<>(define(method, options, false, 1), awaited);
  }

  /** Defines an async function of two parameters; see {@link #asyncFunction(Method0)}. */
  public <A, B, R> Function2<A, B, R> asyncFunction(
      Method2<A, B, ? extends CompletionStage<R>> method) {
    return asyncFunction(method, f -> {});
  }

  /** Defines an async function of two parameters with options. */
  public <A, B, R> Function2<A, B, R> asyncFunction(
      Method2<A, B, ? extends CompletionStage<R>> method,
      Consumer<FunctionOptions.Builder> options) {
    Method2<A, B, R> awaited = (a, b) -> await(method.call(a, b));
    return new Function2<>(define(method, options, false, 2), awaited);
  }

  private static <R> R await(CompletionStage<R> stage) throws Exception {
    try {
      return stage.toCompletableFuture().get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  // ------------------------------------------------------------------ generators

  /**
   * Defines a generator of no parameters: a method returning a {@code Stream}, {@code Iterator} or
   * {@code Iterable} of {@code T}. The item type is read from the method's declared return type.
   */
  public <T> Generator0<T> generator(Method0<?> method) {
    return generator(method, f -> {});
  }

  /** Defines a generator of no parameters with options (retries are refused). */
  public <T> Generator0<T> generator(Method0<?> method, Consumer<FunctionOptions.Builder> options) {
    return new Generator0<>(define(method, options, true, 0), method);
  }

  /** Defines a generator of one parameter. */
  public <A, T> Generator1<A, T> generator(Method1<A, ?> method) {
    return generator(method, f -> {});
  }

  /** Defines a generator of one parameter with options (retries are refused). */
  public <A, T> Generator1<A, T> generator(
      Method1<A, ?> method, Consumer<FunctionOptions.Builder> options) {
    return new Generator1<>(define(method, options, true, 1), method);
  }

  /** Defines a generator of two parameters. */
  public <A, B, T> Generator2<A, B, T> generator(Method2<A, B, ?> method) {
    return generator(method, f -> {});
  }

  /** Defines a generator of two parameters with options (retries are refused). */
  public <A, B, T> Generator2<A, B, T> generator(
      Method2<A, B, ?> method, Consumer<FunctionOptions.Builder> options) {
    return new Generator2<>(define(method, options, true, 2), method);
  }

  /** Defines a generator of three parameters. */
  public <A, B, C, T> Generator3<A, B, C, T> generator(
      Method3<A, B, C, ?> method, Consumer<FunctionOptions.Builder> options) {
    return new Generator3<>(define(method, options, true, 3), method);
  }

  /** Defines a generator of four parameters. */
  public <A, B, C, D, T> Generator4<A, B, C, D, T> generator(
      Method4<A, B, C, D, ?> method, Consumer<FunctionOptions.Builder> options) {
    return new Generator4<>(define(method, options, true, 4), method);
  }

  // ------------------------------------------------------------------ web endpoints

  /**
   * Defines a web endpoint served by a method of no parameters, answering {@code GET} with the
   * method's value as JSON; see {@link #webEndpoint(Method1, Consumer)}.
   */
  public WebEndpoint webEndpoint(Method0<?> method) {
    return webEndpoint(method, w -> {});
  }

  /** Defines a web endpoint of no parameters with options, e.g. {@code w -> w.label("now")}. */
  public WebEndpoint webEndpoint(Method0<?> method, Consumer<WebEndpointOptions.Builder> options) {
    return defineWebEndpoint(method, options, 0);
  }

  /**
   * Defines a web endpoint served by a method of one parameter, like the seed's {@code
   * @web_endpoint()}; see {@link #webEndpoint(Method1, Consumer)}.
   */
  public <A> WebEndpoint webEndpoint(Method1<A, ?> method) {
    return webEndpoint(method, w -> {});
  }

  /**
   * Defines a web endpoint served by a method of one parameter, with options ({@code w ->
   * w.method("POST").label("greet").requiresAuth().function(f -> f.timeout(...))}).
   *
   * <p><b>Simple form.</b> The request's query parameters ({@code GET}) or the fields of its JSON
   * object body ({@code POST}) are mapped onto the method's parameters by name (compile with {@code
   * javac -parameters}) and converted to their declared types; the method's value is sent back as
   * JSON (or as it is, when it is a {@link WebResponse}). A missing or unconvertible parameter, or
   * a body that is not a JSON object, answers 400 with a JSON message; an exception of the method
   * answers 500 with its class and message; a request that outlives the function's timeout answers
   * 504.
   *
   * <p><b>Low-level form.</b> A method taking a {@link WebRequest} and returning a {@link
   * WebResponse} gets the whole request (any method, and any path below the endpoint's URL) and
   * decides the whole response.
   *
   * <p>The endpoint is served at {@link WebEndpoint#webUrl()} while the app runs.
   *
   * @throws InvalidConfigurationException if an option is not allowed (retries and schedules are
   *     refused), or the parameter names are not in the class file
   */
  public <A> WebEndpoint webEndpoint(
      Method1<A, ?> method, Consumer<WebEndpointOptions.Builder> options) {
    return defineWebEndpoint(method, options, 1);
  }

  /** Defines a web endpoint of two parameters; see {@link #webEndpoint(Method1, Consumer)}. */
  public <A, B> WebEndpoint webEndpoint(Method2<A, B, ?> method) {
    return webEndpoint(method, w -> {});
  }

  /** Defines a web endpoint of two parameters with options. */
  public <A, B> WebEndpoint webEndpoint(
      Method2<A, B, ?> method, Consumer<WebEndpointOptions.Builder> options) {
    return defineWebEndpoint(method, options, 2);
  }

  /** Defines a web endpoint of three parameters; see {@link #webEndpoint(Method1, Consumer)}. */
  public <A, B, C> WebEndpoint webEndpoint(Method3<A, B, C, ?> method) {
    return webEndpoint(method, w -> {});
  }

  /** Defines a web endpoint of three parameters with options. */
  public <A, B, C> WebEndpoint webEndpoint(
      Method3<A, B, C, ?> method, Consumer<WebEndpointOptions.Builder> options) {
    return defineWebEndpoint(method, options, 3);
  }

  private WebEndpoint defineWebEndpoint(
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
    Invoker invoker = define(lambda, web.function(), false, arity);
    WebEndpointSpec spec =
        new WebEndpointSpec(web.method(), web.label(), web.requiresAuth(), raw, parameters);
    synchronized (lock) {
      webEndpoints.put(invoker.spec().name(), spec);
    }
    WebEndpointSpec.register(m, spec);
    return new WebEndpoint(this, invoker.spec().name(), web);
  }

  private static FunctionDef withWebEndpoint(FunctionDef def, WebEndpointSpec web) {
    return web == null ? def : def.toBuilder().setWebEndpoint(web.toProto()).build();
  }

  /** The URL of a web endpoint while this program runs the app, or after it deployed it. */
  String webUrl(String function) {
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

  // ------------------------------------------------------------------ definition

  private Invoker define(
      Serializable lambda,
      Consumer<FunctionOptions.Builder> configurer,
      boolean generator,
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
    FunctionSpec spec = FunctionSpec.of(name, fname, method, generator, options);
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
    return new Invoker(spec, this::binding);
  }

  /** Where calls go: this program's run of the app, or the container's own app. */
  private AppBinding binding() {
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

  // ------------------------------------------------------------------ running

  /** Runs the app with logs and progress shown; see {@link #run(RunOptions)}. */
  public AppRun run() {
    return run(RunOptions.defaults());
  }

  /**
   * Starts an ephemeral run of the app, like the seed's {@code with app.run():}. With no server
   * configured it starts an embedded control plane in this JVM. The functions' images are built
   * first (or found built: an image is built once per recipe), with their build output shown as
   * {@code [image 1a2b3c] ...} lines when logs are shown. Containers start on demand.
   *
   * @throws ImageBuildException if an image cannot be built; nothing has started then
   * @throws UnsupportedOptionException if a function needs what the control plane cannot offer
   *     (volumes, secrets or a blocked network without the container sandbox)
   * @throws SkiffException if the app is already running or the control plane refuses it
   */
  public AppRun run(RunOptions options) {
    synchronized (lock) {
      if (running != null) {
        throw new SkiffException("app '" + name + "' is already running");
      }
    }
    List<FunctionSpec> specs = specs();
    CreateAppRequest.Builder request = definition(specs, true);
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
    try {
      CreateAppResponse created = connection.client().blocking().createApp(request.build());
      appId = created.getAppId();
      webUrls = Map.copyOf(created.getWebUrlsMap());
    } catch (RuntimeException e) {
      RuntimeException translated = connection.client().translate(e);
      connection.close();
      throw translated;
    }
    AppBinding binding = new AppBinding(name, appId, connection.client(), options.showProgress());
    LogPrinter logs = options.showLogs() ? LogPrinter.start(binding) : null;
    Run run = new Run(binding, connection, logs, webUrls);
    synchronized (lock) {
      running = run;
    }
    RunningApps.add(binding);
    return run;
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

  /**
   * Deploys the app to the long-running server, like the seed's {@code modal deploy}: uploads this
   * program's classpath (each jar by its sha-256, each directory packed into a jar; jars the server
   * has already are not sent again) and registers the app's functions under its name. The app then
   * runs on the server until {@link #undeploy()}, with its schedules and web endpoints, and
   * survives a restart of the server. Deploying a name again replaces its functions: inputs already
   * running finish on the old code, new inputs run the new code.
   *
   * @return what was deployed: version, function names and web endpoint URLs
   * @throws UnsupportedOptionException if a function has secrets given inline ({@link
   *     Secret#fromMap}, {@link Secret#fromDotenv}): a deployed app keeps its definition, so it may
   *     only name stored secrets ({@link Secret#fromName})
   * @throws ImageBuildException if an image cannot be built on the server; nothing is deployed
   * @throws SkiffException if no server is configured, it does not answer, or it refuses the app
   */
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

  /**
   * Stops the deployed app of this name on the long-running server and forgets its deployment, like
   * {@code skiff app stop}.
   *
   * @throws NotFoundException if no app of this name is deployed
   * @throws SkiffException if no server is configured or it does not answer
   */
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
    private boolean closed; // guarded by App.this.lock

    Run(AppBinding binding, Connection connection, LogPrinter logs, Map<String, String> webUrls) {
      this.binding = binding;
      this.connection = connection;
      this.logs = logs;
      this.webUrls = webUrls;
    }

    @Override
    public String appId() {
      return binding.appId();
    }

    @Override
    public List<FunctionStatus> status() {
      synchronized (lock) {
        if (closed) {
          throw new SkiffException("app '" + name + "' is not running: its run was closed");
        }
      }
      try {
        return StatusCodec.fromProto(
            connection
                .client()
                .blocking()
                .getAppStatus(AppStatusRequest.newBuilder().setAppId(appId()).build()));
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
              "app '" + App.this.name + "' is not running: its run was closed");
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
      try {
        connection
            .client()
            .blocking()
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
