package dev.skiff;

import dev.skiff.internal.Invoker;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * A function of 3 parameters defined with {@link App#function}: call it in a container with {@link
 * #remote}, in this process with {@link #local}, over many inputs with {@link #starmap}, or in the
 * background with {@link #spawn}. Thread-safe.
 *
 * @param <R> the result type
 */
public final class Function3<A, B, C, R> {
  private final Invoker invoker;
  private final Method3<A, B, C, R> method;

  Function3(Invoker invoker, Method3<A, B, C, R> method) {
    this.invoker = invoker;
    this.method = method;
  }

  /** The function's name within its app. */
  public String name() {
    return invoker.spec().name();
  }

  /**
   * Changes this function's autoscaler while its app runs, like the seed's {@code
   * update_autoscaler}: the four settings replace those declared, for this run of the app, and take
   * effect at once (raising {@code minContainers} starts containers now; lowering {@code
   * maxContainers} stops idle containers above it now and busy ones as soon as they are idle).
   * Blocks until the control plane has applied them. Thread-safe.
   *
   * @param minContainers containers kept running even without traffic (0..1000)
   * @param maxContainers the most containers at once (1..1000, at least {@code minContainers})
   * @param bufferContainers idle containers kept beyond demand while there are inputs (0..1000, at
   *     most {@code maxContainers})
   * @param scaledownWindow how long a container may stay idle before it stops (1 s..24 h)
   * @throws InvalidConfigurationException if a value is not allowed; nothing changes then
   * @throws SkiffException if the app is not running
   */
  public void updateAutoscaler(
      int minContainers, int maxContainers, int bufferContainers, Duration scaledownWindow) {
    invoker.updateAutoscaler(minContainers, maxContainers, bufferContainers, scaledownWindow);
  }

  /**
   * Runs the function in a container and returns its result.
   *
   * @throws PayloadException if an argument cannot be encoded (nothing is sent)
   * @throws SkiffException or the user's own unchecked exception if the call fails
   */
  @SuppressWarnings("unchecked")
  public R remote(A a, B b, C c) {
    return (R) invoker.remote(new Object[] {a, b, c});
  }

  /** Runs the function in a container; the future completes with the result or its exception. */
  @SuppressWarnings("unchecked")
  public CompletableFuture<R> remoteAsync(A a, B b, C c) {
    return (CompletableFuture<R>)
        (CompletableFuture<?>) invoker.remoteAsync(new Object[] {a, b, c});
  }

  /** Starts the function in a container and returns at once; fetch the result from the call. */
  @SuppressWarnings("unchecked")
  public FunctionCall<R> spawn(A a, B b, C c) {
    return (FunctionCall<R>) (FunctionCall<?>) invoker.spawn(new Object[] {a, b, c});
  }

  /**
   * Runs the function in this process, without a container, exactly as calling the method. Checked
   * exceptions of the method propagate unchanged.
   */
  public R local(A a, B b, C c) {
    try {
      return method.call(a, b, c);
    } catch (Exception e) {
      throw Sneaky.<RuntimeException>rethrow(e);
    }
  }

  /**
   * Runs the function once per argument list, in parallel containers, and yields the results in
   * input order (the seed's {@code starmap}). The first failed input throws its exception from the
   * stream and cancels the rest; closing the stream early cancels what is outstanding.
   */
  public Stream<R> starmap(
      Iterable<? extends Args3<? extends A, ? extends B, ? extends C>> inputs) {
    return starmap(inputs, MapOptions.defaults());
  }

  /** Like {@link #starmap(Iterable)}, with results in input order or as they complete. */
  @SuppressWarnings("unchecked")
  public Stream<R> starmap(
      Iterable<? extends Args3<? extends A, ? extends B, ? extends C>> inputs, MapOptions options) {
    return (Stream<R>) invoker.mapValues(spread(inputs.iterator()), options.ordered());
  }

  /**
   * Like {@link #starmap(Iterable)} but yields one {@link Outcome} per input instead of throwing.
   */
  public Stream<Outcome<R>> starmapOutcomes(
      Iterable<? extends Args3<? extends A, ? extends B, ? extends C>> inputs) {
    return starmapOutcomes(inputs, MapOptions.defaults());
  }

  /** Like {@link #starmapOutcomes(Iterable)}, in input order or as results complete. */
  @SuppressWarnings("unchecked")
  public Stream<Outcome<R>> starmapOutcomes(
      Iterable<? extends Args3<? extends A, ? extends B, ? extends C>> inputs, MapOptions options) {
    return (Stream<Outcome<R>>)
        (Stream<?>) invoker.map(spread(inputs.iterator()), options.ordered());
  }

  private Iterator<Object[]> spread(
      Iterator<? extends Args3<? extends A, ? extends B, ? extends C>> it) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public Object[] next() {
        var a = it.next();
        return new Object[] {a.first(), a.second(), a.third()};
      }
    };
  }
}
