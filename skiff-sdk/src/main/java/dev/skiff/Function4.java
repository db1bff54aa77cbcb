package dev.skiff;

import dev.skiff.internal.Invoker;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * A function of 4 parameters defined with {@link App#function}: call it in a container with {@link
 * #remote}, without blocking with {@link #remoteAsync}, in the background with {@link #spawn}, in
 * this process with {@link #local}, or over many inputs with {@link #map} and {@link #starmap}. The
 * forms are described once, on {@link FunctionHandle}. Thread-safe.
 *
 * @param <A> the type of the first parameter
 * @param <B> the type of the second parameter
 * @param <C> the type of the third parameter
 * @param <D> the type of the fourth parameter
 * @param <R> the result type
 */
public final class Function4<A, B, C, D, R> extends FunctionHandle<R> {
  private final Method4<A, B, C, D, R> method;

  Function4(Invoker<R> invoker, Method4<A, B, C, D, R> method) {
    super(invoker);
    this.method = method;
  }

  /**
   * Runs the function in a container and returns its result; see {@link FunctionHandle}.
   *
   * @throws PayloadException if an argument cannot be encoded (nothing is sent)
   * @throws SkiffException or the user's own unchecked exception if the call fails
   */
  public R remote(A a, B b, C c, D d) {
    return invoker.remote(a, b, c, d);
  }

  /** Runs the function in a container; the future completes with the result or its exception. */
  public CompletableFuture<R> remoteAsync(A a, B b, C c, D d) {
    return invoker.remoteAsync(a, b, c, d);
  }

  /** Starts the function in a container and returns at once; fetch the result from the call. */
  public FunctionCall<R> spawn(A a, B b, C c, D d) {
    return invoker.spawn(a, b, c, d);
  }

  /**
   * Runs the function in this process, without a container, exactly as calling the method. Checked
   * exceptions of the method propagate unchanged.
   */
  public R local(A a, B b, C c, D d) {
    return runLocally(() -> method.call(a, b, c, d));
  }

  /**
   * Runs the function over 4 input sequences taken together (stopping at the shortest), like the
   * seed's {@code f.map(xs, ys)}, in parallel containers, and yields the results in input order;
   * see {@link FunctionHandle} for how failures and early closing behave.
   */
  public Stream<R> map(
      Iterable<? extends A> as,
      Iterable<? extends B> bs,
      Iterable<? extends C> cs,
      Iterable<? extends D> ds) {
    return map(as, bs, cs, ds, MapOptions.defaults());
  }

  /**
   * Like {@link #map(Iterable, Iterable, Iterable, Iterable)}, with results in input order or as
   * they complete.
   */
  public Stream<R> map(
      Iterable<? extends A> as,
      Iterable<? extends B> bs,
      Iterable<? extends C> cs,
      Iterable<? extends D> ds,
      MapOptions options) {
    return invoker.mapValues(zip(as, bs, cs, ds), options.ordered());
  }

  /**
   * Like {@link #map(Iterable, Iterable, Iterable, Iterable)} but yields one {@link Outcome} per
   * input, a value or the input's exception at its position, instead of throwing (the seed's {@code
   * return_exceptions}).
   */
  public Stream<Outcome<R>> mapOutcomes(
      Iterable<? extends A> as,
      Iterable<? extends B> bs,
      Iterable<? extends C> cs,
      Iterable<? extends D> ds) {
    return mapOutcomes(as, bs, cs, ds, MapOptions.defaults());
  }

  /**
   * Like {@link #mapOutcomes(Iterable, Iterable, Iterable, Iterable)}, with results in input order
   * or as they complete.
   */
  public Stream<Outcome<R>> mapOutcomes(
      Iterable<? extends A> as,
      Iterable<? extends B> bs,
      Iterable<? extends C> cs,
      Iterable<? extends D> ds,
      MapOptions options) {
    return invoker.map(zip(as, bs, cs, ds), options.ordered());
  }

  /**
   * Runs the function once per argument list, in parallel containers, and yields the results in
   * input order (the seed's {@code starmap}); see {@link FunctionHandle}.
   */
  public Stream<R> starmap(
      Iterable<? extends Args4<? extends A, ? extends B, ? extends C, ? extends D>> inputs) {
    return starmap(inputs, MapOptions.defaults());
  }

  /** Like {@link #starmap(Iterable)}, with results in input order or as they complete. */
  public Stream<R> starmap(
      Iterable<? extends Args4<? extends A, ? extends B, ? extends C, ? extends D>> inputs,
      MapOptions options) {
    return invoker.mapValues(arguments(inputs), options.ordered());
  }

  /**
   * Like {@link #starmap(Iterable)} but yields one {@link Outcome} per input instead of throwing.
   */
  public Stream<Outcome<R>> starmapOutcomes(
      Iterable<? extends Args4<? extends A, ? extends B, ? extends C, ? extends D>> inputs) {
    return starmapOutcomes(inputs, MapOptions.defaults());
  }

  /** Like {@link #starmapOutcomes(Iterable)}, in input order or as results complete. */
  public Stream<Outcome<R>> starmapOutcomes(
      Iterable<? extends Args4<? extends A, ? extends B, ? extends C, ? extends D>> inputs,
      MapOptions options) {
    return invoker.map(arguments(inputs), options.ordered());
  }

  private Iterator<Object[]> arguments(
      Iterable<? extends Args4<? extends A, ? extends B, ? extends C, ? extends D>> inputs) {
    return spread(inputs, a -> new Object[] {a.first(), a.second(), a.third(), a.fourth()});
  }
}
