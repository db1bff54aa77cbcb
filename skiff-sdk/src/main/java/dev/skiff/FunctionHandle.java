package dev.skiff;

import dev.skiff.internal.Invoker;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * What every handle of a defined function or generator offers, whatever its arity: the handles
 * ({@link Function0} to {@link Function4}, {@link Generator0} to {@link Generator4}) differ only in
 * how many typed parameters their call forms take, and each form is a thin call of one shared
 * engine. Thread-safe.
 *
 * <p>A function handle of {@code N} parameters has these call forms, the same for every {@code N}:
 *
 * <ul>
 *   <li>{@code remote(a, ...)} runs the function in a container and returns its result;
 *   <li>{@code remoteAsync(a, ...)} does the same without blocking: the {@code CompletableFuture}
 *       completes with the result or the call's exception, and cancelling it cancels the call;
 *   <li>{@code spawn(a, ...)} starts the function and returns a {@link FunctionCall} at once, whose
 *       result can be fetched later, also by its id;
 *   <li>{@code local(a, ...)} runs the method in this process, without a container, exactly as
 *       calling it (checked exceptions of the method propagate unchanged);
 *   <li>for {@code N >= 1}: {@code map(as, ...)} runs the function once per input, taking one value
 *       from each sequence (stopping at the shortest), in parallel containers, and yields the
 *       results in input order (or as they complete, with {@link MapOptions#unordered()}); the
 *       first failed input throws its exception from the stream and cancels the rest, and closing
 *       the stream early cancels what is outstanding. {@code mapOutcomes} yields one {@link
 *       Outcome} per input instead of throwing (the seed's {@code return_exceptions});
 *   <li>for {@code N >= 2}: {@code starmap} and {@code starmapOutcomes} do the same over whole
 *       argument lists ({@link Args2}, {@link Args3}, {@link Args4}), like the seed's {@code
 *       starmap}.
 * </ul>
 *
 * <p>A generator handle has {@code remoteGen(a, ...)}, whose stream yields each item as soon as the
 * container produces it (the container runs at most a small window of items ahead of the consumer;
 * close the stream, with try-with-resources, to stop the generator early), and {@code local(a,
 * ...)}, which runs the generator in this process.
 *
 * <p>Every remote form encodes its arguments on the caller's thread: an argument that cannot be
 * encoded throws {@link PayloadException} and nothing is sent. A failed call throws the user's own
 * unchecked exception (rebuilt as its own type where it can be) or a {@link SkiffException}
 * subclass ({@link FunctionTimeoutException}, {@link ContainerCrashedException}, {@link
 * RemoteFunctionException}, ...) whose {@link SkiffException#attempts()}, {@link
 * SkiffException#containerId()} and {@link SkiffException#exitCode()} tell what the control plane
 * knows of the failure.
 *
 * @param <R> the result type, or a generator's item type
 */
public abstract sealed class FunctionHandle<R>
    permits Function0,
        Function1,
        Function2,
        Function3,
        Function4,
        Generator0,
        Generator1,
        Generator2,
        Generator3,
        Generator4 {
  /** The shared engine that every call form of this handle goes through. */
  final Invoker<R> invoker;

  FunctionHandle(Invoker<R> invoker) {
    this.invoker = invoker;
  }

  /** The function's name within its app. */
  public final String name() {
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
  public final void updateAutoscaler(
      int minContainers, int maxContainers, int bufferContainers, Duration scaledownWindow) {
    invoker.updateAutoscaler(minContainers, maxContainers, bufferContainers, scaledownWindow);
  }

  /** Runs {@code call} here, rethrowing a checked exception of the method unchanged. */
  static <T> T runLocally(Callable<T> call) {
    try {
      return call.call();
    } catch (Exception e) {
      throw Sneaky.<RuntimeException>rethrow(e);
    }
  }

  /** Runs a generator method here and streams what it returns. */
  @SuppressWarnings("unchecked") // the method's items are of the handle's item type
  static <T> Stream<T> generateLocally(Callable<?> generator) {
    return (Stream<T>) runLocally(() -> Generators.toStream(generator.call()));
  }

  /** One argument list per input, taking one value from each sequence, up to the shortest. */
  static Iterator<Object[]> zip(Iterable<?>... sequences) {
    List<? extends Iterator<?>> its = Stream.of(sequences).map(Iterable::iterator).toList();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return its.stream().allMatch(Iterator::hasNext);
      }

      @Override
      public Object[] next() {
        return its.stream().map(Iterator::next).toArray();
      }
    };
  }

  /** One argument list per input, spread from its {@code ArgsN}. */
  static <T> Iterator<Object[]> spread(
      Iterable<? extends T> inputs, Function<? super T, Object[]> arguments) {
    Iterator<? extends T> it = inputs.iterator();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public Object[] next() {
        return arguments.apply(it.next());
      }
    };
  }
}
