package dev.skiff.server;

import java.nio.file.Path;

/**
 * Where containers reach their control plane: its container socket, a Unix socket that the backend
 * binds into each sandbox as the container's only way out, and which the container entrypoint dials
 * as {@code SKIFF_SERVER=unix:/path}.
 *
 * @param socket the socket file
 */
record ContainerEndpoint(Path socket) {
  /** What the container entrypoint dials: {@code unix:/path}. */
  String target() {
    return "unix:" + socket;
  }
}
