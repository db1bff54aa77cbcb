package dev.skiff;

import java.io.Serializable;

/**
 * A {@code void} method of 1 parameter that Skiff can run in a container; see {@link Method1} for
 * what may be given. Its handle returns {@code null} ({@link Void}).
 */
@FunctionalInterface
public interface VoidMethod1<A> extends Serializable {
  /** Runs the method in this process. */
  void call(A a) throws Exception;
}
