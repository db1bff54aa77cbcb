package dev.skiff.server.backend;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a backend needs to start one container: the classpath of the user's application (which
 * includes the Skiff SDK and therefore the container entrypoint), the environment that tells the
 * entrypoint which server, app and function it serves, and what the container's sandbox shows of
 * the host.
 *
 * @param containerId the container's short id, unique within the control plane
 * @param classpath the classpath entries, in order
 * @param environment environment variables for the container, on top of the backend's own
 * @param volumes host directories mounted read-write, by their absolute path in the container
 * @param readOnly further host files and directories the container sees read-only at their paths
 *     (an image's files)
 * @param rootFs a directory the container sees as {@code /} (a Debian image's root)
 */
public record ContainerSpec(
    String containerId,
    List<String> classpath,
    Map<String, String> environment,
    Map<String, Path> volumes,
    List<Path> readOnly,
    Optional<Path> rootFs) {
  /** The entrypoint class that every container runs. */
  public static final String ENTRYPOINT = "dev.skiff.internal.container.ContainerMain";

  /** Copies the collections; rejects nulls. */
  public ContainerSpec {
    Objects.requireNonNull(containerId, "containerId");
    classpath = List.copyOf(classpath);
    environment = Map.copyOf(environment);
    volumes = Map.copyOf(volumes);
    readOnly = List.copyOf(readOnly);
    Objects.requireNonNull(rootFs, "rootFs");
  }

  /** A container that sees its classpath and nothing more of the host. */
  public ContainerSpec(String containerId, List<String> classpath, Map<String, String> environment) {
    this(containerId, classpath, environment, Map.of(), List.of(), Optional.empty());
  }

  /** Whether the container cannot run without a sandbox: it mounts volumes or has its own root. */
  public boolean needsSandbox() {
    return !volumes.isEmpty() || rootFs.isPresent();
  }
}
