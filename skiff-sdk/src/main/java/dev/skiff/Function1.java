package dev.skiff;

import dev.skiff.internal.Invoker;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * A function of 1 parameter defined with {@link App#function}: call it in a container with {@link
 * #remote}, without blocking with {@link #remoteAsync}, in the background with {@link #spawn}, in
 * this process with {@link #local}, or over many inputs with {@link #map}. The forms are described
 * once, on {@link FunctionHandle}. Thread-safe.
 *
 * @param <A> the type of the first parameter
 * @param <R> the result type
 */
public final class Function1<A, R> extends FunctionHandle<R> {
  private final Method1<A, R> method;

  Function1(Invoker<R> invoker, Method1<A, R> method) {
    super(invoker);
    this.method = method;
  }

  /**
   * Runs the function in a container and returns its result; see {@link FunctionHandle}.
   *
   * @throws PayloadException if an argument cannot be encoded (nothing is sent)
   * @throws SkiffException or the user's own unchecked exception if the call fails
   */
  public R remote(A a) {
    return invoker.remote(a);
  }

  /** Runs the function in a container; the future completes with the result or its exception. */
  public CompletableFuture<R> remoteAsync(A a) {
    return invoker.remoteAsync(a);
  }

  /** Starts the function in a container and returns at once; fetch the result from the call. */
  public FunctionCall<R> spawn(A a) {
    return invoker.spawn(a);
  }

  /**
   * Runs the function in this process, without a container, exactly as calling the method. Checked
   * exceptions of the method propagate unchanged.
   */
  public R local(A a) {
    return runLocally(() -> method.call(a));
  }

  /**
   * Runs the function once per input, in parallel containers, and yields the results in input
   * order; see {@link FunctionHandle} for how failures and early closing behave.
   */
  public Stream<R> map(Iterable<? extends A> inputs) {
    return map(inputs, MapOptions.defaults());
  }

  /** Like {@link #map(Iterable)}, with results in input order or as they complete. */
  public Stream<R> map(Iterable<? extends A> inputs, MapOptions options) {
    return invoker.mapValues(zip(inputs), options.ordered());
  }

  /**
   * Like {@link #map(Iterable)} but yields one {@link Outcome} per input, a value or the input's
   * exception at its position, instead of throwing (the seed's {@code return_exceptions}).
   */
  public Stream<Outcome<R>> mapOutcomes(Iterable<? extends A> inputs) {
    return mapOutcomes(inputs, MapOptions.defaults());
  }

  /** Like {@link #mapOutcomes(Iterable)}, with results in input order or as they complete. */
  public Stream<Outcome<R>> mapOutcomes(Iterable<? extends A> inputs, MapOptions options) {
    return invoker.map(zip(inputs), options.ordered());
  }
}
