package dev.skiff.server.backend;

import java.nio.file.Path;
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
 */
public record ContainerImage(Path javaHome, int javaFeature, String workdir) {
  /** Rejects nulls. */
  public ContainerImage {
    Objects.requireNonNull(javaHome, "javaHome");
    Objects.requireNonNull(workdir, "workdir");
  }
}
