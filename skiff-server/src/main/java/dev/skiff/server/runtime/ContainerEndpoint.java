package dev.skiff.server.runtime;

import java.nio.file.Path;

/**
 * Where the control plane listens for containers: its container socket, a Unix socket. What a
 * container is told to dial is the backend's answer ({@link
 * dev.skiff.server.backend.ContainerBackend#advertisedEndpoint}): for the local backend, this
 * socket itself, bound into each sandbox as the container's only way out ({@code
 * SKIFF_SERVER=unix:/path}).
 *
 * @param socket the socket file
 */
public record ContainerEndpoint(Path socket) {}
