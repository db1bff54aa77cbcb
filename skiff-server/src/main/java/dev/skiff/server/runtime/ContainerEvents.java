package dev.skiff.server.runtime;

import dev.skiff.proto.ErrorInfo;
import dev.skiff.proto.GeneratorItem;
import dev.skiff.proto.Output;
import dev.skiff.server.backend.ContainerHandle;
import java.util.List;
import java.util.Optional;

/**
 * The container side of one function's scheduler: what its containers report, from the container
 * gRPC service (hello, ready, outputs, items, heartbeats, a broken stream), the backend (output
 * lines, exits) and the warm pool (a claimed container's process). Callers do the other side
 * through {@link FunctionInputs}. Implemented by {@link FunctionScheduler}; reached through {@link
 * Container#scheduler}.
 *
 * <p>Every method may be called from any thread, including gRPC transport threads: none blocks.
 * Each names the container it concerns; reports of a container the scheduler has already forgotten
 * are ignored.
 */
public interface ContainerEvents {
  /**
   * Attaches the control stream of a container that said hello.
   *
   * @return false if the container is unknown here or already has a stream
   */
  boolean attach(Container c, ContainerChannel channel);

  /** The container initialised the user's code: it takes inputs from now on. */
  void onReady(Container c);

  /** The container could not initialise the user's code; it exits on its own. */
  void onInitFailed(Container c, ErrorInfo error);

  /** Results of attempts; those not from an input's current attempt are discarded. */
  void onOutputs(Container c, List<Output> outputs);

  /** A generator item; forwarded only from the input's current attempt. */
  void onItem(Container c, GeneratorItem item);

  /** The container is alive (any message counts; this one says nothing else). */
  void onHeartbeat(Container c);

  /**
   * The container's control stream ended. A container without its stream is useless, so unless it
   * exits by itself within a short grace period (it usually is exiting), it is killed.
   */
  void onStreamClosed(Container c);

  /** The container ended: fail what it held, forget it, and replace it if inputs wait. */
  void onExit(Container c, int exitCode, List<String> stderrTail);

  /** One line of a container's output, for the app's log subscribers. */
  void publishLine(Container c, boolean stderr, String text);

  /** The process of a container taken from the warm pool exists now. */
  void onAdoptedHandle(Container c, ContainerHandle handle);

  /** The process of a container taken from the warm pool could not be started. */
  void onAdoptedLaunchFailed(Container c, Exception e);

  /** The backend's handle of a container, once it has been created. */
  Optional<ContainerHandle> handleOf(Container c);
}
