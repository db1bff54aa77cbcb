package dev.skiff;

import java.io.Serializable;

/**
 * A method of 3 parameters that Skiff can run in a container: a static method reference ({@code
 * Hello::hello}) or a non-capturing lambda. Skiff finds the same method in the container by its
 * class and name, so a lambda that captures local variables or {@code this} is refused when the
 * function is defined.
 *
 * <p>It is {@link Serializable} only so that Skiff can read which method it refers to; Skiff never
 * serialises it.
 */
@FunctionalInterface
public interface Method3<A, B, C, R> extends Serializable {
  /** Runs the method in this process. */
  R call(A a, B b, C c) throws Exception;
}
