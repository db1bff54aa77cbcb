package dev.skiff.internal.spi;

import java.util.Optional;

/** A control plane running inside this JVM. Thread-safe. */
public interface EmbeddedControlPlane extends AutoCloseable {
  /** Where clients connect, as {@code host:port} on loopback. */
  String target();

  /**
   * The name of the control plane's in-process gRPC server, which a client in this JVM reaches
   * without a socket; empty if it has none.
   */
  default Optional<String> inProcessName() {
    return Optional.empty();
  }

  /** The token that clients send with every call. */
  String token();

  /**
   * Serves the dashboard on the control plane's web port, which it does not until asked, and
   * answers its URL; empty if this control plane has none.
   */
  default Optional<String> openDashboard() {
    return Optional.empty();
  }

  /**
   * Stops every container (asking first, then killing what has not exited within a short grace
   * period), waits for their processes to end, and stops the server. Idempotent.
   */
  @Override
  void close();
}
