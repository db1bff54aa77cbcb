package dev.skiff;

/**
 * The 4 arguments of one input of {@code starmap}.
 *
 * @param first argument 1
 * @param second argument 2
 * @param third argument 3
 * @param fourth argument 4
 */
public record Args4<A, B, C, D>(A first, B second, C third, D fourth) {
  /** The arguments a, b, c, d. */
  public static <A, B, C, D> Args4<A, B, C, D> of(A a, B b, C c, D d) {
    return new Args4<>(a, b, c, d);
  }
}
