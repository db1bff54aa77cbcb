package dev.skiff.server.image;

import dev.skiff.proto.ImageManifest;
import dev.skiff.server.backend.ContainerImage;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An image that is built: its directory under {@code <data-dir>/images} and what its containers run
 * with.
 *
 * @param id the image's id (a hash of its recipe)
 * @param directory where it lives
 * @param manifest what was recorded when it was built
 */
public record BuiltImage(String id, Path directory, ImageManifest manifest) {
  /**
   * The registry image its containers run on, for an image that was recorded rather than built
   * ({@code Image.fromRegistry}): then it has no JDK, classpath or files of its own, and {@link
   * #workdir()} is absolute inside that image, or empty for the image's own.
   */
  public Optional<String> registryImage() {
    return manifest.getRegistryImage().isEmpty()
        ? Optional.empty()
        : Optional.of(manifest.getRegistryImage());
  }

  /** The home of the JDK its containers run on. */
  public Path javaHome() {
    return Path.of(manifest.getJavaHome());
  }

  /** That JDK's feature version. */
  public int javaFeature() {
    return manifest.getJavaFeature();
  }

  /** Classpath entries the image adds (resolved Maven artifacts), as host paths, in order. */
  public List<String> classpath() {
    return manifest.getClasspathList().stream().map(e -> directory.resolve(e).toString()).toList();
  }

  /** Environment variables the image sets. */
  public Map<String, String> env() {
    return manifest.getEnvMap();
  }

  /** The file tree of a JDK image (added files, build output, the working directory). */
  public Optional<Path> files() {
    return manifest.getDebian() ? Optional.empty() : Optional.of(directory.resolve("files"));
  }

  /**
   * Files added at absolute paths to an image without a root file system: host path by the absolute
   * path inside the container.
   */
  public Map<String, Path> mounts() {
    Map<String, Path> out = new LinkedHashMap<>();
    manifest
        .getMountsMap()
        .forEach((inside, relative) -> out.put(inside, directory.resolve(relative)));
    return out;
  }

  /** The root file system of a Debian image. */
  public Optional<Path> rootfs() {
    return manifest.getDebian() ? Optional.of(directory.resolve("rootfs")) : Optional.empty();
  }

  /** This image as a container backend runs a container on it. */
  public ContainerImage container() {
    return new ContainerImage(
        javaHome(),
        javaFeature(),
        workdir(),
        mounts(),
        env(),
        classpath(),
        files().map(List::of).orElse(List.of()),
        rootfs());
  }

  /**
   * The containers' working directory: a path inside the root file system for a Debian image or
   * inside a registry image (empty: the image's own), else a host path inside the image's
   * directory.
   */
  public String workdir() {
    return manifest.getDebian() || registryImage().isPresent()
        ? manifest.getWorkdir()
        : directory.resolve(manifest.getWorkdir()).toString();
  }
}
