package dev.skiff.server.backend.local;

import dev.skiff.server.backend.ClasspathEntry;
import dev.skiff.server.backend.ContainerImage;
import dev.skiff.server.backend.ContainerSpec;
import dev.skiff.server.backend.ContainerStartException;
import dev.skiff.server.backend.ImageResolver;
import dev.skiff.server.backend.JarResolver;
import dev.skiff.server.backend.VolumeResolver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a spec names, as files on this machine: its image (by id), its classpath (stored jars by
 * content hash, host paths as they are, then the image's jars) and its volumes' directories (by
 * name), through the resolvers the backend was made with. Thread-safe if the resolvers are.
 */
final class SpecMaterials {
  private final VolumeResolver volumes;
  private final ImageResolver images;
  private final JarResolver jars;

  SpecMaterials(VolumeResolver volumes, ImageResolver images, JarResolver jars) {
    this.volumes = volumes;
    this.images = images;
    this.jars = jars;
  }

  /** The image the spec names, found through the backend's {@link ImageResolver}. */
  Optional<ContainerImage> image(ContainerSpec spec) {
    if (spec.image().isEmpty()) {
      return Optional.empty();
    }
    String id = spec.image().get();
    return Optional.of(
        images
            .find(id)
            .orElseThrow(
                () ->
                    new ContainerStartException(
                        "container "
                            + spec.containerId()
                            + " runs on image '"
                            + id
                            + "', which is not built here")));
  }

  /**
   * The container's classpath as paths on this machine: the spec's entries, stored jars found
   * through this backend's {@link JarResolver}, then its image's jars.
   */
  List<String> classpath(ContainerSpec spec, Optional<ContainerImage> image) {
    List<String> paths = new ArrayList<>();
    for (ClasspathEntry e : spec.classpath()) {
      paths.add(
          switch (e) {
            case ClasspathEntry.Jar jar -> jars.jar(jar.sha256()).toString();
            case ClasspathEntry.HostPath host -> host.path();
          });
    }
    image.ifPresent(i -> paths.addAll(i.classpath()));
    return paths;
  }

  /** The host directory of each volume the spec mounts, by its path in the container. */
  Map<String, Path> volumeDirectories(ContainerSpec spec) {
    Map<String, Path> directories = new LinkedHashMap<>();
    spec.volumes().forEach((inside, name) -> directories.put(inside, volumes.directory(name)));
    return directories;
  }
}
