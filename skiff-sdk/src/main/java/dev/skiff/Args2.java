package dev.skiff;

/**
 * The 2 arguments of one input of {@code starmap}.
 *
 * @param first argument 1
 * @param second argument 2
 */
public record Args2<A, B>(A first, B second) {
  /** The arguments a, b. */
  public static <A, B> Args2<A, B> of(A a, B b) {
    return new Args2<>(a, b);
  }
}
