package dev.skiff.server.runtime;

import java.nio.file.Path;

/**
 * Where containers reach their control plane: its container socket, a Unix socket that the backend
 * binds into each sandbox as the container's only way out, and which the container entrypoint dials
 * as {@code SKIFF_SERVER=unix:/path}.
 *
 * @param socket the socket file
 */
public record ContainerEndpoint(Path socket) {
  /** What the container entrypoint dials: {@code unix:/path}. */
  public String target() {
    return "unix:" + socket;
  }
}
