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

  /**
   * The built image with this id as files that a container on another machine fetches ({@link
   * ShippedImage}), published where the control plane's jar endpoint serves them; empty if there is
   * no such image, or these images cannot be shipped.
   *
   * @throws java.io.UncheckedIOException if the image's files could not be published
   * @throws IllegalArgumentException if the image has what no container elsewhere can be given (a
   *     root file system, or files at absolute paths); the message names it
   */
  default Optional<ShippedImage> ship(String id) {
    return Optional.empty();
  }

  /** For a backend that is given no images: none is found. */
  static ImageResolver none() {
    return id -> Optional.empty();
  }
}
