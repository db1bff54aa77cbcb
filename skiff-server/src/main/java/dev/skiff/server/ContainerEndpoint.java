package dev.skiff.server;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where containers reach their control plane: the {@code SKIFF_SERVER} target they dial, and the
 * Unix socket behind it, which the backend binds into each sandbox as the container's only way
 * out. Only where Unix sockets are unavailable to gRPC (not Linux) is it a loopback port instead.
 *
 * @param target what the container entrypoint dials: {@code unix:/path} or {@code host:port}
 * @param socket the socket file, when {@code target} names one
 */
record ContainerEndpoint(String target, Optional<Path> socket) {
  /** The endpoint of a Unix socket at {@code path}. */
  static ContainerEndpoint unix(Path path) {
    return new ContainerEndpoint("unix:" + path, Optional.of(path));
  }

  /** The endpoint of a TCP port, {@code host:port}. */
  static ContainerEndpoint tcp(String hostAndPort) {
    return new ContainerEndpoint(hostAndPort, Optional.empty());
  }
}
