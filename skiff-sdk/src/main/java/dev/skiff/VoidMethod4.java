package dev.skiff;

import java.io.Serializable;

/**
 * A {@code void} method of 4 parameters that Skiff can run in a container; see {@link Method4} for
 * what may be given. Its handle returns {@code null} ({@link Void}).
 */
@FunctionalInterface
public interface VoidMethod4<A, B, C, D> extends Serializable {
  /** Runs the method in this process. */
  void call(A a, B b, C c, D d) throws Exception;
}
