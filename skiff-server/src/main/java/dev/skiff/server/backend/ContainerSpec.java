package dev.skiff.server.backend;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a backend needs to start one container: the classpath of the user's application (which
 * includes the Skiff SDK and therefore the container entrypoint) and the environment that tells the
 * entrypoint which server, app and function it serves.
 *
 * @param containerId the container's short id, unique within the control plane
 * @param classpath the classpath entries, in order
 * @param environment environment variables for the container, on top of the backend's own
 * @param image the image it runs on; empty: the app's classpath on the backend's own JDK
 */
public record ContainerSpec(
    String containerId,
    List<String> classpath,
    Map<String, String> environment,
    Optional<ContainerImage> image) {
  /** The entrypoint class that every container runs. */
  public static final String ENTRYPOINT = "dev.skiff.internal.container.ContainerMain";

  /** Copies the collections; rejects nulls. */
  public ContainerSpec {
    Objects.requireNonNull(containerId, "containerId");
    classpath = List.copyOf(classpath);
    environment = Map.copyOf(environment);
    Objects.requireNonNull(image, "image");
  }

  /** A container without an image. */
  public ContainerSpec(String containerId, List<String> classpath, Map<String, String> environment) {
    this(containerId, classpath, environment, Optional.empty());
  }
}
