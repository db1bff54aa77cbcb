package dev.skiff;

/**
 * The result of one input of a {@code map} run with exceptions returned as values: a value or the
 * exception the input raised, at the input's position.
 *
 * @param <R> the function's result type
 */
public sealed interface Outcome<R> {
  /** The input succeeded. */
  record Success<R>(R value) implements Outcome<R> {}

  /** The input failed; {@code error} is the exception {@code remote} would have thrown. */
  record Failure<R>(RuntimeException error) implements Outcome<R> {}

  /** Whether the input succeeded. */
  default boolean isSuccess() {
    return this instanceof Success<R>;
  }

  /** The value, or the input's exception thrown. */
  default R valueOrThrow() {
    return switch (this) {
      case Success<R> s -> s.value();
      case Failure<R> f -> throw f.error();
    };
  }
}
