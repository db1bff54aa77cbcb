package dev.skiff;

import dev.skiff.internal.Invoker;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A function of 0 parameters defined with {@link App#function}: call it in a container with {@link
 * #remote}, in this process with {@link #local}, or in the background with {@link #spawn}.
 * Thread-safe.
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
   * Changes this function's autoscaler while its app runs, like the seed's {@code
   * update_autoscaler}: the four settings replace those declared, for this run of the app, and take
   * effect at once (raising {@code minContainers} starts containers now; lowering {@code
   * maxContainers} stops idle containers above it now and busy ones as soon as they are idle).
   * Blocks until the control plane has applied them. Thread-safe.
   *
   * @param minContainers containers kept running even without traffic (0..1000)
   * @param maxContainers the most containers at once (1..1000, at least {@code minContainers})
   * @param bufferContainers idle containers kept beyond demand while there are inputs (0..1000, at
   *     most {@code maxContainers})
   * @param scaledownWindow how long a container may stay idle before it stops (1 s..24 h)
   * @throws InvalidConfigurationException if a value is not allowed; nothing changes then
   * @throws SkiffException if the app is not running
   */
  public void updateAutoscaler(
      int minContainers, int maxContainers, int bufferContainers, Duration scaledownWindow) {
    invoker.updateAutoscaler(minContainers, maxContainers, bufferContainers, scaledownWindow);
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
   * Runs the function in this process, without a container, exactly as calling the method. Checked
   * exceptions of the method propagate unchanged.
   */
  public R local() {
    try {
      return method.call();
    } catch (Exception e) {
      throw Sneaky.<RuntimeException>rethrow(e);
    }
  }
}
