package dev.skiff;

import java.io.Serializable;

/**
 * A {@code void} method of 3 parameters that Skiff can run in a container; see {@link Method3} for
 * what may be given. Its handle returns {@code null} ({@link Void}).
 */
@FunctionalInterface
public interface VoidMethod3<A, B, C> extends Serializable {
  /** Runs the method in this process. */
  void call(A a, B b, C c) throws Exception;
}
