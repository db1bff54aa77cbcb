package dev.skiff;

import dev.skiff.internal.Invoker;
import java.util.stream.Stream;

/**
 * A generator of 2 parameters defined with {@link App#generator}: a method returning a {@code
 * Stream}, {@code Iterator} or {@code Iterable} whose items are sent to the caller as the container
 * produces them. Its forms are described once, on {@link FunctionHandle}. Thread-safe.
 *
 * @param <A> the type of the first parameter
 * @param <B> the type of the second parameter
 * @param <T> the item type
 */
public final class Generator2<A, B, T> extends FunctionHandle<T> {
  private final Method2<A, B, ?> method;

  Generator2(Invoker<T> invoker, Method2<A, B, ?> method) {
    super(invoker);
    this.method = method;
  }

  /**
   * Runs the generator in a container; the stream yields each item as soon as it is produced. Close
   * the stream (use try-with-resources) to stop the generator early.
   *
   * @throws PayloadException if an argument cannot be encoded (nothing is sent)
   */
  public Stream<T> remoteGen(A a, B b) {
    return invoker.generate(a, b);
  }

  /** Runs the generator in this process and returns its items as a stream. */
  public Stream<T> local(A a, B b) {
    return generateLocally(() -> method.call(a, b));
  }
}
