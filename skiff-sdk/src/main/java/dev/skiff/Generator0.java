package dev.skiff;

import dev.skiff.internal.Invoker;
import java.util.stream.Stream;

/**
 * A generator of 0 parameters defined with {@link App#generator}: a method returning a {@code
 * Stream}, {@code Iterator} or {@code Iterable} whose items are sent to the caller as the container
 * produces them. Its forms are described once, on {@link FunctionHandle}. Thread-safe.
 *
 * @param <T> the item type
 */
public final class Generator0<T> extends FunctionHandle<T> {
  private final Method0<?> method;

  Generator0(Invoker<T> invoker, Method0<?> method) {
    super(invoker);
    this.method = method;
  }

  /**
   * Runs the generator in a container; the stream yields each item as soon as it is produced. Close
   * the stream (use try-with-resources) to stop the generator early.
   *
   * @throws PayloadException if an argument cannot be encoded (nothing is sent)
   */
  public Stream<T> remoteGen() {
    return invoker.generate();
  }

  /** Runs the generator in this process and returns its items as a stream. */
  public Stream<T> local() {
    return generateLocally(() -> method.call());
  }
}
