package dev.skiff.server.backend;

import dev.skiff.internal.spi.NodeConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What the composition root tells a {@link ContainerBackendProvider} when it creates a backend.
 *
 * @param role who runs the control plane: a long-running server refuses to run containers outside a
 *     sandbox without its operator's word; an embedded control plane falls back with a warning
 * @param sandboxed whether containers should run in a sandbox where one works (an embedded control
 *     plane may turn it off)
 * @param allowUnsandboxed whether the operator allowed containers outside a sandbox ({@code
 *     --allow-unsandboxed})
 * @param sharedDirectories host directories every sandboxed container sees read-write at their host
 *     paths
 * @param containerJvmOptions added to every container's JVM command line
 * @param node the machine a backend that runs containers on this machine places them on (its cores,
 *     memory, region and GPUs); a backend that runs them elsewhere ignores it
 * @param volumes where the volumes that containers mount by name keep their files
 * @param images where the images that containers run on are found by id
 * @param jars where the stored jars that classpaths name by content hash are found
 * @param defaultMemoryLimitMib the memory limit of a container whose function sets none, in MiB (0:
 *     none); a function's own limit always wins
 * @param pidsLimit the most processes and threads one container may have (0: no limit), where the
 *     backend can enforce it
 */
public record BackendConfig(
    Role role,
    boolean sandboxed,
    boolean allowUnsandboxed,
    List<Path> sharedDirectories,
    List<String> containerJvmOptions,
    NodeConfig node,
    VolumeResolver volumes,
    ImageResolver images,
    JarResolver jars,
    long defaultMemoryLimitMib,
    int pidsLimit) {
  /** The default of {@link #defaultMemoryLimitMib}: 2 GiB. */
  public static final long DEFAULT_MEMORY_LIMIT_MIB = 2048;

  /** The default of {@link #pidsLimit}. */
  public static final int DEFAULT_PIDS_LIMIT = 4096;

  /** Who runs the control plane the backend serves. */
  public enum Role {
    /** A control plane inside the user's program ({@code App.run()} without a server). */
    EMBEDDED,
    /** The long-running server ({@code skiff server}). */
    SERVER
  }

  /** Copies the lists; rejects nulls. */
  public BackendConfig {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(volumes, "volumes");
    Objects.requireNonNull(images, "images");
    Objects.requireNonNull(jars, "jars");
    sharedDirectories = List.copyOf(sharedDirectories);
    containerJvmOptions = List.copyOf(containerJvmOptions);
    if (defaultMemoryLimitMib < 0 || pidsLimit < 0) {
      throw new IllegalArgumentException(
          "the default memory limit ("
              + defaultMemoryLimitMib
              + " MiB) and the pids limit ("
              + pidsLimit
              + ") may not be negative");
    }
  }

  /** This configuration with other container limits (0: none). */
  public BackendConfig withContainerLimits(long defaultMemoryLimitMib, int pidsLimit) {
    return new BackendConfig(
        role,
        sandboxed,
        allowUnsandboxed,
        sharedDirectories,
        containerJvmOptions,
        node,
        volumes,
        images,
        jars,
        defaultMemoryLimitMib,
        pidsLimit);
  }

  /**
   * A long-running server's settings, on this machine as detected ({@link NodeConfig#detect()}).
   */
  public static BackendConfig server(
      boolean allowUnsandboxed,
      List<String> containerJvmOptions,
      VolumeResolver volumes,
      ImageResolver images,
      JarResolver jars) {
    return new BackendConfig(
        Role.SERVER,
        true,
        allowUnsandboxed,
        List.of(),
        containerJvmOptions,
        NodeConfig.detect(),
        volumes,
        images,
        jars,
        DEFAULT_MEMORY_LIMIT_MIB,
        DEFAULT_PIDS_LIMIT);
  }

  /** An embedded control plane's settings. */
  public static BackendConfig embedded(
      boolean sandboxed,
      List<Path> sharedDirectories,
      List<String> containerJvmOptions,
      NodeConfig node,
      VolumeResolver volumes,
      ImageResolver images,
      JarResolver jars) {
    return new BackendConfig(
        Role.EMBEDDED,
        sandboxed,
        false,
        sharedDirectories,
        containerJvmOptions,
        node,
        volumes,
        images,
        jars,
        DEFAULT_MEMORY_LIMIT_MIB,
        DEFAULT_PIDS_LIMIT);
  }
}
