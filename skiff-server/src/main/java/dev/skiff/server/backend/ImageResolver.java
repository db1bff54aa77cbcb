package dev.skiff.server.backend;

import java.util.Optional;

/**
 * Where a backend finds the image that a {@link ContainerSpec} names by id. The control plane
 * builds and keeps images ({@code image.ImageStore}); it gives a backend this at construction
 * ({@link BackendConfig#images()}), and the backend resolves the id when it starts a container.
 */
@FunctionalInterface
public interface ImageResolver {
  /** The built image with this id; empty if there is none. */
  Optional<ContainerImage> find(String id);

  /** For a backend that is given no images: none is found. */
  static ImageResolver none() {
    return id -> Optional.empty();
  }
}
