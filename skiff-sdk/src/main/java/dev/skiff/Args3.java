package dev.skiff;

/**
 * The 3 arguments of one input of {@code starmap}.
 *
 * @param first argument 1
 * @param second argument 2
 * @param third argument 3
 */
public record Args3<A, B, C>(A first, B second, C third) {
  /** The arguments a, b, c. */
  public static <A, B, C> Args3<A, B, C> of(A a, B b, C c) {
    return new Args3<>(a, b, c);
  }
}
