package dev.skiff;

import dev.skiff.internal.Invoker;
import java.util.stream.Stream;

/**
 * A generator of 1 parameter defined with {@link App#generator}: a method returning a {@code
 * Stream}, {@code Iterator} or {@code Iterable} whose items are sent to the caller as the container
 * produces them. Thread-safe.
 *
 * @param <T> the item type
 */
public final class Generator1<A, T> {
  private final Invoker invoker;
  private final Method1<A, ?> method;

  Generator1(Invoker invoker, Method1<A, ?> method) {
    this.invoker = invoker;
    this.method = method;
  }

  /** The generator's name within its app. */
  public String name() {
    return invoker.spec().name();
  }

  /**
   * Runs the generator in a container. The stream yields each item as soon as it is produced; the
   * container runs at most a small window of items ahead of the consumer. Close the stream (use
   * try-with-resources) to stop the generator early.
   *
   * @throws PayloadException if an argument cannot be encoded (nothing is sent)
   */
  @SuppressWarnings("unchecked")
  public Stream<T> remoteGen(A a) {
    return (Stream<T>) invoker.generate(new Object[] {a});
  }

  /** Runs the generator in this process and returns its items as a stream. */
  @SuppressWarnings("unchecked")
  public Stream<T> local(A a) {
    try {
      return (Stream<T>) Generators.toStream(method.call(a));
    } catch (Exception e) {
      throw Sneaky.<RuntimeException>rethrow(e);
    }
  }
}
