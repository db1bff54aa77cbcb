package dev.skiff;

import dev.skiff.internal.AppBinding;
import dev.skiff.internal.FunctionSpec;
import dev.skiff.internal.Invoker;
import dev.skiff.internal.ServerConnection;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.LookupFunctionRequest;
import dev.skiff.proto.LookupFunctionResponse;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * A function of a deployed app, found by name from any program, like the seed's {@code
 * modal.Function.from_name}:
 *
 * <pre>{@code
 * RemoteFunction<String> hello = RemoteFunction.fromName("hello", "hello", String.class);
 * String greeting = hello.remote("World");
 * }</pre>
 *
 * <p>The server is the one this program is configured for ({@code SKIFF_SERVER} and {@code
 * SKIFF_TOKEN}, or {@code ~/.skiff/config.json}). Calls go to the app's current deployment: after a
 * redeploy, new calls run the new code. Arguments are encoded by the function's declared parameter
 * types when its class is on this classpath, else by their own types; results are decoded as the
 * type given here. Thread-safe.
 *
 * @param <R> the result type (for a generator: the type of each item)
 */
public final class RemoteFunction<R> {
  private final String app;
  private final Invoker<R> invoker;

  private RemoteFunction(String app, Invoker<R> invoker) {
    this.app = app;
    this.invoker = invoker;
  }

  /**
   * Looks up function {@code function} of the deployed app {@code app}.
   *
   * @param resultType the type its results (or a generator's items) are decoded as
   * @throws NotFoundException if no app of that name is deployed or it has no such function
   * @throws SkiffException if no server is configured or it does not answer
   */
  public static <R> RemoteFunction<R> fromName(String app, String function, Class<R> resultType) {
    return lookup(app, function, resultType);
  }

  /**
   * Looks up a function whose result type is generic, e.g. {@code new TypeRef<List<String>>() {}}.
   *
   * @throws NotFoundException if no app of that name is deployed or it has no such function
   */
  public static <R> RemoteFunction<R> fromName(String app, String function, TypeRef<R> resultType) {
    return lookup(app, function, resultType.type());
  }

  private static <R> RemoteFunction<R> lookup(String app, String function, Type resultType) {
    Objects.requireNonNull(app, "app");
    Objects.requireNonNull(function, "function");
    Objects.requireNonNull(resultType, "resultType");
    SkiffClient client = ServerConnection.client();
    LookupFunctionResponse found;
    try {
      found =
          client
              .blocking()
              .lookupFunction(
                  LookupFunctionRequest.newBuilder()
                      .setAppName(app)
                      .setFunctionName(function)
                      .build());
    } catch (RuntimeException e) {
      throw client.translate(e);
    }
    FunctionSpec spec = FunctionSpec.remote(app, found.getFunction(), resultType);
    AppBinding binding = new AppBinding(app, found.getAppId(), client, false, true);
    return new RemoteFunction<>(app, new Invoker<>(spec, () -> binding));
  }

  /** The function's name. */
  public String name() {
    return invoker.spec().name();
  }

  /** The deployed app's name. */
  public String appName() {
    return app;
  }

  /**
   * Runs the function in a container and returns its result.
   *
   * @throws PayloadException if the arguments cannot be encoded or their number is wrong
   * @throws SkiffException or the user's own unchecked exception if the call fails
   */
  public R remote(Object... args) {
    requireFunction("remote");
    return invoker.remote(args);
  }

  /** Runs the function in a container; the future completes with the result or its exception. */
  public CompletableFuture<R> remoteAsync(Object... args) {
    requireFunction("remoteAsync");
    return invoker.remoteAsync(args);
  }

  /**
   * Starts the function and returns once the call is accepted (on the long-running server: stored,
   * so it survives this program's exit and a restart of the server).
   */
  public FunctionCall<R> spawn(Object... args) {
    requireFunction("spawn");
    return invoker.spawn(args);
  }

  /**
   * Runs the function once per input (each input is its one argument) and yields the results in
   * input order; the first failure is thrown from the stream.
   */
  public Stream<R> map(Iterable<?> inputs) {
    requireFunction("map");
    return invoker.mapValues(FunctionHandle.spread(inputs, x -> new Object[] {x}), true);
  }

  /** Runs the function once per argument list, like the seed's {@code starmap}. */
  public Stream<R> starmap(Iterable<? extends List<?>> inputs) {
    requireFunction("starmap");
    return invoker.mapValues(FunctionHandle.spread(inputs, List::toArray), true);
  }

  /**
   * Runs a generator; the stream yields its items as the container produces them. Close it to stop
   * the generator early.
   */
  public Stream<R> remoteGen(Object... args) {
    if (!invoker.spec().generator()) {
      throw new InvalidConfigurationException(
          "function '" + name() + "' of app '" + app + "' is not a generator; call remote()");
    }
    return invoker.generate(args);
  }

  private void requireFunction(String how) {
    if (invoker.spec().generator()) {
      throw new InvalidConfigurationException(
          "function '"
              + name()
              + "' of app '"
              + app
              + "' is a generator; call remoteGen(), not "
              + how
              + "()");
    }
  }
}
