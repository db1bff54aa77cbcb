package dev.skiff;

import dev.skiff.internal.Invoker;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * A generator of 2 parameters defined with {@link App#generator}: a method returning a {@code
 * Stream}, {@code Iterator} or {@code Iterable} whose items are sent to the caller as the container
 * produces them. Thread-safe.
 *
 * @param <T> the item type
 */
public final class Generator2<A, B, T> {
  private final Invoker invoker;
  private final Method2<A, B, ?> method;

  Generator2(Invoker invoker, Method2<A, B, ?> method) {
    this.invoker = invoker;
    this.method = method;
  }

  /** The generator's name within its app. */
  public String name() {
    return invoker.spec().name();
  }

  /**
   * Changes this generator's autoscaler while its app runs, like the seed's {@code
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
   * Runs the generator in a container. The stream yields each item as soon as it is produced; the
   * container runs at most a small window of items ahead of the consumer. Close the stream (use
   * try-with-resources) to stop the generator early.
   *
   * @throws PayloadException if an argument cannot be encoded (nothing is sent)
   */
  @SuppressWarnings("unchecked")
  public Stream<T> remoteGen(A a, B b) {
    return (Stream<T>) invoker.generate(new Object[] {a, b});
  }

  /** Runs the generator in this process and returns its items as a stream. */
  @SuppressWarnings("unchecked")
  public Stream<T> local(A a, B b) {
    try {
      return (Stream<T>) Generators.toStream(method.call(a, b));
    } catch (Exception e) {
      throw Sneaky.<RuntimeException>rethrow(e);
    }
  }
}
