package dev.skiff.server.backend;

import java.util.Optional;

/**
 * Where containers run: child processes on this machine ({@link LocalProcessBackend}) or, later,
 * pods of a Kubernetes cluster. The control plane decides when a container starts and stops; a
 * backend only starts, watches and ends them.
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
   * @throws ContainerStartException if the container could not be created
   */
  ContainerHandle start(ContainerSpec spec, OutputListener output);

  /**
   * Why containers that {@linkplain ContainerSpec#needsSandbox() need a sandbox} (volumes, a root
   * file system of their own) cannot run here, or empty when they can. The control plane refuses an
   * app with such functions up front rather than fail each container start.
   */
  default Optional<String> sandboxUnavailable() {
    return Optional.of("this container backend has no sandbox");
  }

  /**
   * Why containers that hold secrets cannot run here, or empty when they can: a backend without a
   * sandbox refuses them unless its operator allowed unsandboxed containers. The control plane
   * refuses an app whose functions have secrets up front, naming this.
   */
  default Optional<String> secretsUnavailable() {
    return sandboxUnavailable();
  }

  /**
   * Ends every container this backend started and still runs: asks each to stop, kills what has not
   * exited after a short grace period, and waits until they are gone. Idempotent.
   */
  @Override
  void close();
}
