package dev.skiff;

import dev.skiff.internal.Invoker;
import java.util.concurrent.CompletableFuture;

/**
 * A function of 0 parameters defined with {@link App#function}: call it in a container with {@link
 * #remote}, without blocking with {@link #remoteAsync}, in the background with {@link #spawn}, in
 * this process with {@link #local}. The forms are described once, on {@link FunctionHandle}.
 * Thread-safe.
 *
 * @param <R> the result type
 */
public final class Function0<R> extends FunctionHandle<R> {
  private final Method0<R> method;

  Function0(Invoker<R> invoker, Method0<R> method) {
    super(invoker);
    this.method = method;
  }

  /**
   * Runs the function in a container and returns its result; see {@link FunctionHandle}.
   *
   * @throws PayloadException if an argument cannot be encoded (nothing is sent)
   * @throws SkiffException or the user's own unchecked exception if the call fails
   */
  public R remote() {
    return invoker.remote();
  }

  /** Runs the function in a container; the future completes with the result or its exception. */
  public CompletableFuture<R> remoteAsync() {
    return invoker.remoteAsync();
  }

  /** Starts the function in a container and returns at once; fetch the result from the call. */
  public FunctionCall<R> spawn() {
    return invoker.spawn();
  }

  /**
   * Runs the function in this process, without a container, exactly as calling the method. Checked
   * exceptions of the method propagate unchanged.
   */
  public R local() {
    return runLocally(() -> method.call());
  }
}
