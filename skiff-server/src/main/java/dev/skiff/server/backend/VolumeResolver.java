package dev.skiff.server.backend;

import java.nio.file.Path;

/**
 * Where a backend finds the files of a volume that a {@link ContainerSpec} mounts by name. The
 * control plane keeps volumes ({@code files.VolumeStore}); it gives a backend this at construction
 * ({@link BackendConfig#volumes()}), and a backend that mounts volumes resolves each name when it
 * starts a container.
 */
@FunctionalInterface
public interface VolumeResolver {
  /** The host directory that holds the files of volume {@code name}. */
  Path directory(String name);

  /** For a backend that is given no volumes: resolving any name fails, naming it. */
  static VolumeResolver none() {
    return name -> {
      throw new IllegalStateException(
          "volume '" + name + "' cannot be mounted: this container backend was given no volumes");
    };
  }
}
