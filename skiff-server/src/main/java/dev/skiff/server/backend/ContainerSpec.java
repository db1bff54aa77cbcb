package dev.skiff.server.backend;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a backend needs to start one container: the classpath of the user's application (which
 * includes the Skiff SDK and therefore the container entrypoint), the environment that tells the
 * entrypoint which server, app and function it serves, and what the container's sandbox shows of
 * the host. Volumes and the image travel by name: the backend resolves them ({@link
 * VolumeResolver}, {@link ImageResolver}).
 *
 * @param containerId the container's short id, unique within the control plane
 * @param classpath the classpath entries, in order: stored jars by content hash (the backend
 *     materialises them through its {@link JarResolver}) or host paths; an image's jars follow them
 * @param environment environment variables for the container, on top of its image's and under the
 *     backend's own
 * @param volumes the volumes mounted read-write, by name, by their absolute path in the container
 *     (the backend finds their files through its {@link VolumeResolver})
 * @param image the id of the image it runs on (the backend finds it through its {@link
 *     ImageResolver}); empty: the app's classpath on the backend's own JDK
 * @param reach what the container may reach beyond its files: the control plane, the network, GPUs
 * @param resources what it reserves and its limits, which the backend enforces
 * @param registryImage the registry image it runs on, pulled by the backend (only one that has
 *     {@link Capability#REGISTRY_IMAGE}); then {@code image} is empty
 */
public record ContainerSpec(
    String containerId,
    List<ClasspathEntry> classpath,
    Map<String, String> environment,
    Map<String, String> volumes,
    Optional<String> image,
    Reach reach,
    Resources resources,
    Optional<RegistryImage> registryImage) {
  /**
   * An image of a container registry that a container runs on as it is ({@code
   * Image.fromRegistry}): it has {@code java} (21 or later) on its {@code PATH}.
   *
   * @param reference {@code [registry[:port]/]name[:tag][@sha256:digest]}
   * @param environment the variables its recipe sets, under the container's own
   * @param workdir the working directory its recipe sets (absolute); empty: the image's own
   */
  public record RegistryImage(
      String reference, Map<String, String> environment, Optional<String> workdir) {
    /** Copies the map; rejects nulls. */
    public RegistryImage {
      Objects.requireNonNull(reference, "reference");
      environment = Map.copyOf(environment);
      Objects.requireNonNull(workdir, "workdir");
    }
  }

  /**
   * What a container may reach beyond its files.
   *
   * @param controlSocket the control plane's container socket, the container's only way to the
   *     control plane (a sandboxed container sees it, read-only, at its host path); empty: none
   * @param network whether the container reaches the outside (through a user-mode network that does
   *     not lead to the host's loopback); false: only its own loopback
   * @param gpus the indexes of the GPU devices allocated to it, ascending; it sees no others
   * @param holdsSecrets whether its environment holds secret values, which a backend without a
   *     sandbox refuses unless its operator allowed unsandboxed containers
   */
  public record Reach(
      Optional<Path> controlSocket, boolean network, List<Integer> gpus, boolean holdsSecrets) {
    /** Copies the list; rejects nulls. */
    public Reach {
      Objects.requireNonNull(controlSocket, "controlSocket");
      gpus = List.copyOf(gpus);
    }

    /** No control socket, no network, no GPUs, no secrets. */
    public static Reach none() {
      return new Reach(Optional.empty(), false, List.of(), false);
    }
  }

  /** The entrypoint class that every container runs. */
  public static final String ENTRYPOINT = "dev.skiff.internal.container.ContainerMain";

  /** Copies the collections; rejects nulls. */
  public ContainerSpec {
    Objects.requireNonNull(containerId, "containerId");
    classpath = List.copyOf(classpath);
    environment = Map.copyOf(environment);
    volumes = Map.copyOf(volumes);
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(reach, "reach");
    Objects.requireNonNull(resources, "resources");
    Objects.requireNonNull(registryImage, "registryImage");
    if (image.isPresent() && registryImage.isPresent()) {
      throw new IllegalArgumentException("a container runs on a built image or a registry image");
    }
  }

  /** A container on a built image (or none), not a registry image. */
  public ContainerSpec(
      String containerId,
      List<ClasspathEntry> classpath,
      Map<String, String> environment,
      Map<String, String> volumes,
      Optional<String> image,
      Reach reach,
      Resources resources) {
    this(containerId, classpath, environment, volumes, image, reach, resources, Optional.empty());
  }

  /** A container without reservations or limits. */
  public ContainerSpec(
      String containerId,
      List<ClasspathEntry> classpath,
      Map<String, String> environment,
      Map<String, String> volumes,
      Optional<String> image,
      Reach reach) {
    this(containerId, classpath, environment, volumes, image, reach, Resources.NONE);
  }

  /** A container that reaches nothing beyond its files ({@link Reach#none()}). */
  public ContainerSpec(
      String containerId,
      List<ClasspathEntry> classpath,
      Map<String, String> environment,
      Map<String, String> volumes,
      Optional<String> image) {
    this(containerId, classpath, environment, volumes, image, Reach.none());
  }

  /** A container that sees its classpath and nothing more of the host. */
  public ContainerSpec(
      String containerId, List<ClasspathEntry> classpath, Map<String, String> environment) {
    this(containerId, classpath, environment, Map.of(), Optional.empty());
  }

  /**
   * The capabilities this container needs of its backend, as far as the spec says: those of its
   * image ({@link ContainerImage#needs()}) come on top once the backend has resolved it.
   */
  public Set<Capability> needs() {
    Set<Capability> needs = EnumSet.noneOf(Capability.class);
    if (!volumes.isEmpty()) {
      needs.add(Capability.VOLUMES);
    }
    if (!reach.gpus().isEmpty()) {
      needs.add(Capability.GPUS);
    }
    if (reach.holdsSecrets()) {
      needs.add(Capability.SECRETS);
    }
    if (registryImage.isPresent()) {
      needs.add(Capability.REGISTRY_IMAGE);
    }
    return needs;
  }
}
