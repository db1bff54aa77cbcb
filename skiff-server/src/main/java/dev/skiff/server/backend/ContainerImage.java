package dev.skiff.server.backend;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * The JDK and working directory of a container that runs on an image (its jars are in the spec's
 * classpath, its files in the spec's read-only paths, a Debian image's root in its root file
 * system).
 *
 * @param javaHome the JDK the container's JVM runs on (seen at the same path in a sandbox)
 * @param javaFeature that JDK's feature version (it decides which JVM flags exist)
 * @param workdir the container's working directory: inside the root file system when the spec has
 *     one, else a host path
 * @param mounts host files and directories a sandboxed container sees read-only at other paths, by
 *     the absolute path inside the container (files added at absolute paths to a JDK image)
 */
public record ContainerImage(
    Path javaHome, int javaFeature, String workdir, Map<String, Path> mounts) {
  /** Copies the map; rejects nulls. */
  public ContainerImage {
    Objects.requireNonNull(javaHome, "javaHome");
    Objects.requireNonNull(workdir, "workdir");
    mounts = Map.copyOf(mounts);
  }

  /** An image with no files at absolute paths. */
  public ContainerImage(Path javaHome, int javaFeature, String workdir) {
    this(javaHome, javaFeature, workdir, Map.of());
  }
}
