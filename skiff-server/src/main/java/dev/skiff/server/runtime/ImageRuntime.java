package dev.skiff.server.runtime;

import dev.skiff.server.backend.ContainerSpec;
import dev.skiff.server.image.BuiltImage;
import java.util.Objects;
import java.util.Optional;

/**
 * An image as a function's containers use it: a built image by id, which the container backend
 * resolves (its files, jars and environment never pass through the control plane's scheduling), or
 * a registry image, which the backend pulls.
 *
 * @param id the image's id
 * @param registry the registry image, with its recipe's environment and working directory, for an
 *     image recorded from {@code Image.fromRegistry}; empty for a built image
 */
public record ImageRuntime(String id, Optional<ContainerSpec.RegistryImage> registry) {
  /** Rejects nulls. */
  public ImageRuntime {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(registry, "registry");
  }

  /** A built image. */
  public ImageRuntime(String id) {
    this(id, Optional.empty());
  }

  public static ImageRuntime of(BuiltImage image) {
    return new ImageRuntime(
        image.id(),
        image
            .registryImage()
            .map(
                reference ->
                    new ContainerSpec.RegistryImage(
                        reference,
                        image.env(),
                        image.workdir().isEmpty()
                            ? Optional.empty()
                            : Optional.of(image.workdir()))));
  }

  /** The id of the built image its containers run on: empty for a registry image. */
  public Optional<String> builtId() {
    return registry.isPresent() ? Optional.empty() : Optional.of(id);
  }
}
