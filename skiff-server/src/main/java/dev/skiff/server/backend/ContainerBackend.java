package dev.skiff.server.backend;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where containers run: child processes on this machine ({@code backend.local}) or, later, pods of
 * a Kubernetes cluster. Made by a {@link ContainerBackendProvider}. The control plane decides when
 * a container starts and stops; a backend only starts, watches and ends them, and says what it can
 * give them ({@link #capabilities()}).
 *
 * <p>Implementations are thread-safe.
 */
public interface ContainerBackend extends AutoCloseable {
  /**
   * Starts one container. Returns once the container has been created (for a local process: once it
   * has been forked), not once it is ready; the container reports readiness itself over its control
   * stream.
   *
   * @param spec what to run
   * @param output receives every line the container writes to stdout or stderr, from any thread, in
   *     order per stream
   * @return a handle to the running container
   * @throws ContainerStartException if the container could not be created, or it {@linkplain
   *     ContainerSpec#needs() needs} a capability this backend lacks (the message names it and why)
   */
  ContainerHandle start(ContainerSpec spec, OutputListener output);

  /**
   * What a container dials to reach the control plane, which listens for containers on {@code
   * controlSocket} (a Unix socket on the control plane's machine): the value of the container's
   * {@code SKIFF_SERVER}. A backend whose containers share the control plane's file system hands
   * them that socket ({@code unix:/path}, seen at its host path: {@link
   * ContainerSpec.Reach#controlSocket()}); a cluster backend would give an address its pods can
   * reach, e.g. a service in front of the control plane.
   */
  String advertisedEndpoint(Path controlSocket);

  /**
   * Where and whether its containers fit: the control plane places each container here before it
   * starts it, and refuses an app whose request can never fit. The local backend accounts for its
   * one node's capacity; a cluster backend defers to its cluster's scheduler ({@link
   * Placement#unbounded()}).
   */
  Placement placement();

  /**
   * What this backend can give containers. The control plane refuses an app whose functions need a
   * lacking capability up front, quoting why, rather than fail each container start. The default:
   * nothing, for want of a sandbox.
   */
  default Capabilities capabilities() {
    return Capabilities.none("this container backend has no sandbox");
  }

  /**
   * Whether containers may be started before any function needs them and handed to one later (the
   * warm pool). A backend whose containers carry their function's resources, volumes and labels
   * from the start (a pod's spec cannot change once it runs) says no, and every container is then
   * started for its function. The default: yes.
   */
  default boolean startsGenericContainers() {
    return true;
  }

  /**
   * Why this backend cannot start containers now, if it cannot (the server's readiness, {@code
   * /readyz}): e.g. its cluster's API does not answer. Called from any thread; must answer within a
   * second or two. The default, for a backend on this machine that starts containers for as long as
   * it is open: empty.
   */
  default Optional<String> unavailable() {
    return Optional.empty();
  }

  /**
   * Ends every container this backend started and still runs: asks each to stop, kills what has not
   * exited after a short grace period, and waits until they are gone. Idempotent.
   */
  @Override
  void close();
}
