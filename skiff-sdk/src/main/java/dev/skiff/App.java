package dev.skiff;

import dev.skiff.internal.AppRuntime;
import dev.skiff.internal.Invoker;
import java.io.Serializable;
import java.util.List;
import java.util.Objects;
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
 * fields define the same functions there. Every kind of definition (function, {@code void}
 * function, async function, generator, web endpoint) exists for 0 to 4 parameters, each with and
 * without options; the forms of one kind differ only in their arity and are documented once, on the
 * one-parameter form. Thread-safe.
 *
 * <p>This class is past 600 lines for one reason: it is the public face of those definition forms
 * (about 60 overloads, each a line or two that hands over to {@code internal.AppRuntime}, where the
 * machinery lives). Splitting it would split the API users see, not a responsibility.
 */
public final class App {
  private final String name;
  private final AppRuntime runtime;

  /** What an app's name may be: letters, digits, {@code -} and {@code _}; at most 63. */
  private static final Pattern APP_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_\\-]{0,62}");

  private App(String name) {
    this.name = name;
    this.runtime = new AppRuntime(name);
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
    runtime.allowCalls(List.of(deployedApps));
    return this;
  }

  /** The app's name. */
  public String name() {
    return name;
  }

  // ------------------------------------------------------------------ functions

  /** Defines a function of no parameters; see {@link #function(Method1, Consumer)}. */
  public <R> Function0<R> function(Method0<R> method) {
    return function(method, f -> {});
  }

  /** Defines a function of no parameters with options; see {@link #function(Method1, Consumer)}. */
  public <R> Function0<R> function(Method0<R> method, Consumer<FunctionOptions.Builder> options) {
    return new Function0<>(define(method, options, false, 0), method);
  }

  /** Defines a function of one parameter; see {@link #function(Method1, Consumer)}. */
  public <A, R> Function1<A, R> function(Method1<A, R> method) {
    return function(method, f -> {});
  }

  /**
   * Defines a function of one parameter with options, e.g. {@code f -> f.timeout(...)}. The method
   * is a static method reference or a lambda that captures nothing; it is checked now (its
   * parameter count, name and options), and the function is named after the method unless the
   * options name it. Functions must be defined before the app runs.
   *
   * @throws InvalidConfigurationException if the method or an option is not allowed, or the app
   *     already has a function of that name or is running
   */
  public <A, R> Function1<A, R> function(
      Method1<A, R> method, Consumer<FunctionOptions.Builder> options) {
    return new Function1<>(define(method, options, false, 1), method);
  }

  /** Defines a function of two parameters; see {@link #function(Method1, Consumer)}. */
  public <A, B, R> Function2<A, B, R> function(Method2<A, B, R> method) {
    return function(method, f -> {});
  }

  /**
   * Defines a function of two parameters with options; see {@link #function(Method1, Consumer)}.
   */
  public <A, B, R> Function2<A, B, R> function(
      Method2<A, B, R> method, Consumer<FunctionOptions.Builder> options) {
    return new Function2<>(define(method, options, false, 2), method);
  }

  /** Defines a function of three parameters; see {@link #function(Method1, Consumer)}. */
  public <A, B, C, R> Function3<A, B, C, R> function(Method3<A, B, C, R> method) {
    return function(method, f -> {});
  }

  /**
   * Defines a function of three parameters with options; see {@link #function(Method1, Consumer)}.
   */
  public <A, B, C, R> Function3<A, B, C, R> function(
      Method3<A, B, C, R> method, Consumer<FunctionOptions.Builder> options) {
    return new Function3<>(define(method, options, false, 3), method);
  }

  /** Defines a function of four parameters; see {@link #function(Method1, Consumer)}. */
  public <A, B, C, D, R> Function4<A, B, C, D, R> function(Method4<A, B, C, D, R> method) {
    return function(method, f -> {});
  }

  /**
   * Defines a function of four parameters with options; see {@link #function(Method1, Consumer)}.
   */
  public <A, B, C, D, R> Function4<A, B, C, D, R> function(
      Method4<A, B, C, D, R> method, Consumer<FunctionOptions.Builder> options) {
    return new Function4<>(define(method, options, false, 4), method);
  }

  // ------------------------------------------------------------------ void functions
  //
  // For 0 and 1 parameters a void method is also taken by function(...), as it always was. From 2
  // parameters on the void forms are named voidFunction: an overload of function(...) would make
  // a reference to an overloaded or generic method (or an implicitly typed lambda) ambiguous
  // between MethodN and VoidMethodN, and such code compiled before the void forms existed.

  /**
   * Defines a {@code void} function of no parameters: the same as {@link #function(VoidMethod0)}.
   */
  public Function0<Void> voidFunction(VoidMethod0 method) {
    return function(method);
  }

  /** Defines a {@code void} function of no parameters with options. */
  public Function0<Void> voidFunction(
      VoidMethod0 method, Consumer<FunctionOptions.Builder> options) {
    return function(method, options);
  }

  /**
   * Defines a {@code void} function of one parameter: the same as {@link #function(VoidMethod1)}.
   */
  public <A> Function1<A, Void> voidFunction(VoidMethod1<A> method) {
    return function(method);
  }

  /** Defines a {@code void} function of one parameter with options. */
  public <A> Function1<A, Void> voidFunction(
      VoidMethod1<A> method, Consumer<FunctionOptions.Builder> options) {
    return function(method, options);
  }

  /**
   * Defines a {@code void} function of no parameters; see {@link #function(VoidMethod1, Consumer)}.
   */
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

  /** Defines a {@code void} function of one parameter (it returns {@code null}). */
  public <A> Function1<A, Void> function(VoidMethod1<A> method) {
    return function(method, f -> {});
  }

  /**
   * Defines a {@code void} function of one parameter with options; its handle returns {@code null}
   * ({@link Void}). See {@link #function(Method1, Consumer)}.
   */
  public <A> Function1<A, Void> function(
      VoidMethod1<A> method, Consumer<FunctionOptions.Builder> options) {
    Method1<A, Void> adapted =
        (a) -> {
          method.call(a);
          return null;
        };
    return new Function1<>(define(method, options, false, 1), adapted);
  }

  /**
   * Defines a {@code void} function of two parameters; see {@link #function(VoidMethod1,
   * Consumer)}.
   */
  public <A, B> Function2<A, B, Void> voidFunction(VoidMethod2<A, B> method) {
    return voidFunction(method, f -> {});
  }

  /** Defines a {@code void} function of two parameters with options. */
  public <A, B> Function2<A, B, Void> voidFunction(
      VoidMethod2<A, B> method, Consumer<FunctionOptions.Builder> options) {
    Method2<A, B, Void> adapted =
        (a, b) -> {
          method.call(a, b);
          return null;
        };
    return new Function2<>(define(method, options, false, 2), adapted);
  }

  /**
   * Defines a {@code void} function of three parameters; see {@link #function(VoidMethod1,
   * Consumer)}.
   */
  public <A, B, C> Function3<A, B, C, Void> voidFunction(VoidMethod3<A, B, C> method) {
    return voidFunction(method, f -> {});
  }

  /** Defines a {@code void} function of three parameters with options. */
  public <A, B, C> Function3<A, B, C, Void> voidFunction(
      VoidMethod3<A, B, C> method, Consumer<FunctionOptions.Builder> options) {
    Method3<A, B, C, Void> adapted =
        (a, b, c) -> {
          method.call(a, b, c);
          return null;
        };
    return new Function3<>(define(method, options, false, 3), adapted);
  }

  /**
   * Defines a {@code void} function of four parameters; see {@link #function(VoidMethod1,
   * Consumer)}.
   */
  public <A, B, C, D> Function4<A, B, C, D, Void> voidFunction(VoidMethod4<A, B, C, D> method) {
    return voidFunction(method, f -> {});
  }

  /** Defines a {@code void} function of four parameters with options. */
  public <A, B, C, D> Function4<A, B, C, D, Void> voidFunction(
      VoidMethod4<A, B, C, D> method, Consumer<FunctionOptions.Builder> options) {
    Method4<A, B, C, D, Void> adapted =
        (a, b, c, d) -> {
          method.call(a, b, c, d);
          return null;
        };
    return new Function4<>(define(method, options, false, 4), adapted);
  }

  // ------------------------------------------------------------------ async functions

  /** Defines an async function of no parameters; see {@link #asyncFunction(Method1, Consumer)}. */
  public <R> Function0<R> asyncFunction(Method0<? extends CompletionStage<R>> method) {
    return asyncFunction(method, f -> {});
  }

  /** Defines an async function of no parameters with options. */
  public <R> Function0<R> asyncFunction(
      Method0<? extends CompletionStage<R>> method, Consumer<FunctionOptions.Builder> options) {
    Method0<R> awaited = () -> await(method.call());
    return new Function0<>(define(method, options, false, 0), awaited);
  }

  /** Defines an async function of one parameter; see {@link #asyncFunction(Method1, Consumer)}. */
  public <A, R> Function1<A, R> asyncFunction(Method1<A, ? extends CompletionStage<R>> method) {
    return asyncFunction(method, f -> {});
  }

  /**
   * Defines a function of one parameter that returns a {@link CompletionStage}, with options, like
   * the seed's {@code async def}: the container awaits the stage and callers get its value.
   */
  public <A, R> Function1<A, R> asyncFunction(
      Method1<A, ? extends CompletionStage<R>> method, Consumer<FunctionOptions.Builder> options) {
    Method1<A, R> awaited = a -> await(method.call(a));
    return new Function1<>(define(method, options, false, 1), awaited);
  }

  /** Defines an async function of two parameters; see {@link #asyncFunction(Method1, Consumer)}. */
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

  /**
   * Defines an async function of three parameters; see {@link #asyncFunction(Method1, Consumer)}.
   */
  public <A, B, C, R> Function3<A, B, C, R> asyncFunction(
      Method3<A, B, C, ? extends CompletionStage<R>> method) {
    return asyncFunction(method, f -> {});
  }

  /** Defines an async function of three parameters with options. */
  public <A, B, C, R> Function3<A, B, C, R> asyncFunction(
      Method3<A, B, C, ? extends CompletionStage<R>> method,
      Consumer<FunctionOptions.Builder> options) {
    Method3<A, B, C, R> awaited = (a, b, c) -> await(method.call(a, b, c));
    return new Function3<>(define(method, options, false, 3), awaited);
  }

  /**
   * Defines an async function of four parameters; see {@link #asyncFunction(Method1, Consumer)}.
   */
  public <A, B, C, D, R> Function4<A, B, C, D, R> asyncFunction(
      Method4<A, B, C, D, ? extends CompletionStage<R>> method) {
    return asyncFunction(method, f -> {});
  }

  /** Defines an async function of four parameters with options. */
  public <A, B, C, D, R> Function4<A, B, C, D, R> asyncFunction(
      Method4<A, B, C, D, ? extends CompletionStage<R>> method,
      Consumer<FunctionOptions.Builder> options) {
    Method4<A, B, C, D, R> awaited = (a, b, c, d) -> await(method.call(a, b, c, d));
    return new Function4<>(define(method, options, false, 4), awaited);
  }

  private static <R> R await(CompletionStage<R> stage) throws Exception {
    try {
      return stage.toCompletableFuture().get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  // ------------------------------------------------------------------ generators

  /** Defines a generator of no parameters; see {@link #generator(Method1, Class, Consumer)}. */
  public <T> Generator0<T> generator(Method0<?> method) {
    return generator(method, f -> {});
  }

  /** Defines a generator of no parameters with options (retries are refused). */
  public <T> Generator0<T> generator(Method0<?> method, Consumer<FunctionOptions.Builder> options) {
    return new Generator0<>(defineGenerator(method, null, options, 0), method);
  }

  /** Defines a generator of no parameters whose items are checked to be {@code itemType}s. */
  public <T> Generator0<T> generator(Method0<?> method, Class<T> itemType) {
    return generator(method, itemType, f -> {});
  }

  /** Defines a generator of no parameters with an item type and options. */
  public <T> Generator0<T> generator(
      Method0<?> method, Class<T> itemType, Consumer<FunctionOptions.Builder> options) {
    Objects.requireNonNull(itemType, "itemType");
    return new Generator0<>(defineGenerator(method, itemType, options, 0), method);
  }

  /** Defines a generator of one parameter; see {@link #generator(Method1, Class, Consumer)}. */
  public <A, T> Generator1<A, T> generator(Method1<A, ?> method) {
    return generator(method, f -> {});
  }

  /**
   * Defines a generator of one parameter with options; see {@link #generator(Method1, Class,
   * Consumer)}.
   */
  public <A, T> Generator1<A, T> generator(
      Method1<A, ?> method, Consumer<FunctionOptions.Builder> options) {
    return new Generator1<>(defineGenerator(method, null, options, 1), method);
  }

  /** Defines a generator of one parameter whose items are checked to be {@code itemType}s. */
  public <A, T> Generator1<A, T> generator(Method1<A, ?> method, Class<T> itemType) {
    return generator(method, itemType, f -> {});
  }

  /**
   * Defines a generator of one parameter with options (retries and schedules are refused): a method
   * returning a {@code Stream}, {@code Iterator} or {@code Iterable} of items. The item type is
   * read from the method's declared return type, now: it must be a type that payloads can carry,
   * and, where {@code itemType} is given, one whose values are {@code itemType}s, so that a handle
   * declared with another item type is refused here rather than failing at its first item.
   *
   * @throws InvalidConfigurationException naming the generator, its item type and what is allowed,
   *     if the method does not return items, its item type cannot be carried, or it does not match
   *     {@code itemType}; or if an option is not allowed
   */
  public <A, T> Generator1<A, T> generator(
      Method1<A, ?> method, Class<T> itemType, Consumer<FunctionOptions.Builder> options) {
    Objects.requireNonNull(itemType, "itemType");
    return new Generator1<>(defineGenerator(method, itemType, options, 1), method);
  }

  /** Defines a generator of two parameters; see {@link #generator(Method1, Class, Consumer)}. */
  public <A, B, T> Generator2<A, B, T> generator(Method2<A, B, ?> method) {
    return generator(method, f -> {});
  }

  /** Defines a generator of two parameters with options (retries are refused). */
  public <A, B, T> Generator2<A, B, T> generator(
      Method2<A, B, ?> method, Consumer<FunctionOptions.Builder> options) {
    return new Generator2<>(defineGenerator(method, null, options, 2), method);
  }

  /** Defines a generator of two parameters whose items are checked to be {@code itemType}s. */
  public <A, B, T> Generator2<A, B, T> generator(Method2<A, B, ?> method, Class<T> itemType) {
    return generator(method, itemType, f -> {});
  }

  /** Defines a generator of two parameters with an item type and options. */
  public <A, B, T> Generator2<A, B, T> generator(
      Method2<A, B, ?> method, Class<T> itemType, Consumer<FunctionOptions.Builder> options) {
    Objects.requireNonNull(itemType, "itemType");
    return new Generator2<>(defineGenerator(method, itemType, options, 2), method);
  }

  /** Defines a generator of three parameters; see {@link #generator(Method1, Class, Consumer)}. */
  public <A, B, C, T> Generator3<A, B, C, T> generator(Method3<A, B, C, ?> method) {
    return generator(method, f -> {});
  }

  /** Defines a generator of three parameters with options (retries are refused). */
  public <A, B, C, T> Generator3<A, B, C, T> generator(
      Method3<A, B, C, ?> method, Consumer<FunctionOptions.Builder> options) {
    return new Generator3<>(defineGenerator(method, null, options, 3), method);
  }

  /** Defines a generator of three parameters whose items are checked to be {@code itemType}s. */
  public <A, B, C, T> Generator3<A, B, C, T> generator(
      Method3<A, B, C, ?> method, Class<T> itemType) {
    return generator(method, itemType, f -> {});
  }

  /** Defines a generator of three parameters with an item type and options. */
  public <A, B, C, T> Generator3<A, B, C, T> generator(
      Method3<A, B, C, ?> method, Class<T> itemType, Consumer<FunctionOptions.Builder> options) {
    Objects.requireNonNull(itemType, "itemType");
    return new Generator3<>(defineGenerator(method, itemType, options, 3), method);
  }

  /** Defines a generator of four parameters; see {@link #generator(Method1, Class, Consumer)}. */
  public <A, B, C, D, T> Generator4<A, B, C, D, T> generator(Method4<A, B, C, D, ?> method) {
    return generator(method, f -> {});
  }

  /** Defines a generator of four parameters with options (retries are refused). */
  public <A, B, C, D, T> Generator4<A, B, C, D, T> generator(
      Method4<A, B, C, D, ?> method, Consumer<FunctionOptions.Builder> options) {
    return new Generator4<>(defineGenerator(method, null, options, 4), method);
  }

  /** Defines a generator of four parameters whose items are checked to be {@code itemType}s. */
  public <A, B, C, D, T> Generator4<A, B, C, D, T> generator(
      Method4<A, B, C, D, ?> method, Class<T> itemType) {
    return generator(method, itemType, f -> {});
  }

  /** Defines a generator of four parameters with an item type and options. */
  public <A, B, C, D, T> Generator4<A, B, C, D, T> generator(
      Method4<A, B, C, D, ?> method, Class<T> itemType, Consumer<FunctionOptions.Builder> options) {
    Objects.requireNonNull(itemType, "itemType");
    return new Generator4<>(defineGenerator(method, itemType, options, 4), method);
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

  /** Defines a web endpoint of four parameters; see {@link #webEndpoint(Method1, Consumer)}. */
  public <A, B, C, D> WebEndpoint webEndpoint(Method4<A, B, C, D, ?> method) {
    return webEndpoint(method, w -> {});
  }

  /** Defines a web endpoint of four parameters with options. */
  public <A, B, C, D> WebEndpoint webEndpoint(
      Method4<A, B, C, D, ?> method, Consumer<WebEndpointOptions.Builder> options) {
    return defineWebEndpoint(method, options, 4);
  }

  private WebEndpoint defineWebEndpoint(
      Serializable method, Consumer<WebEndpointOptions.Builder> options, int arity) {
    AppRuntime.DefinedWebEndpoint defined = runtime.defineWebEndpoint(method, options, arity);
    return new WebEndpoint(this, defined.function(), defined.options());
  }

  /** The URL of a web endpoint while this program runs the app, or after it deployed it. */
  String webUrl(String function) {
    return runtime.webUrl(function);
  }

  private <R> Invoker<R> define(
      Serializable method,
      Consumer<FunctionOptions.Builder> options,
      boolean generator,
      int arity) {
    return runtime.define(method, options, generator, arity);
  }

  private <T> Invoker<T> defineGenerator(
      Serializable method,
      Class<T> itemType,
      Consumer<FunctionOptions.Builder> options,
      int arity) {
    return runtime.defineGenerator(method, itemType, options, arity);
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
    return runtime.run(options);
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
    return runtime.deploy();
  }

  /**
   * Stops the deployed app of this name on the long-running server and forgets its deployment, like
   * {@code skiff app stop}.
   *
   * @throws NotFoundException if no app of this name is deployed
   * @throws SkiffException if no server is configured or it does not answer
   */
  public void undeploy() {
    runtime.undeploy();
  }
}
