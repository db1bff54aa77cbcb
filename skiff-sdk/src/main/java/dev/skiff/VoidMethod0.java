package dev.skiff;

import java.io.Serializable;

/**
 * A {@code void} method of 0 parameters that Skiff can run in a container; see {@link Method0} for
 * what may be given. Its handle returns {@code null} ({@link Void}).
 */
@FunctionalInterface
public interface VoidMethod0 extends Serializable {
  /** Runs the method in this process. */
  void call() throws Exception;
}
