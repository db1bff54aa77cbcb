package dev.skiff;

import java.io.Serializable;

/**
 * A {@code void} method of 2 parameters that Skiff can run in a container; see {@link Method2} for
 * what may be given. Its handle returns {@code null} ({@link Void}).
 */
@FunctionalInterface
public interface VoidMethod2<A, B> extends Serializable {
  /** Runs the method in this process. */
  void call(A a, B b) throws Exception;
}
