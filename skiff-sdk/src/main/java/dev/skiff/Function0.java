package dev.skiff;

import dev.skiff.internal.Invoker;
import java.util.concurrent.CompletableFuture;

/**
 * A function of 0 parameters defined with {@link App#function}: call it in a container with
 * {@link #remote}, in this process with {@link #local}, or in the
 * background with {@link #spawn}. Thread-safe.
 *
 * @param <R> the result type
 */
public final class Function0<R> {
  private final Invoker invoker;
  private final Method0<R> method;

  Function0(Invoker invoker, Method0<R> method) {
    this.invoker = invoker;
    this.method = method;
  }

  /** The function's name within its app. */
  public String name() {
    return invoker.spec().name();
  }

  /**
   * Runs the function in a container and returns its result.
   *
   * @throws PayloadException if an argument cannot be encoded (nothing is sent)
   * @throws SkiffException or the user's own unchecked exception if the call fails
   */
  @SuppressWarnings("unchecked")
  public R remote() {
    return (R) invoker.remote(new Object[] {});
  }

  /** Runs the function in a container; the future completes with the result or its exception. */
  @SuppressWarnings("unchecked")
  public CompletableFuture<R> remoteAsync() {
    return (CompletableFuture<R>) (CompletableFuture<?>) invoker.remoteAsync(new Object[] {});
  }

  /** Starts the function in a container and returns at once; fetch the result from the call. */
  @SuppressWarnings("unchecked")
  public FunctionCall<R> spawn() {
    return (FunctionCall<R>) (FunctionCall<?>) invoker.spawn(new Object[] {});
  }

  /**
   * Runs the function in this process, without a container, exactly as calling the method.
   * Checked exceptions of the method propagate unchanged.
   */
  public R local() {
    try {
      return method.call();
    } catch (Exception e) {
      throw Sneaky.<RuntimeException>rethrow(e);
    }
  }
}
