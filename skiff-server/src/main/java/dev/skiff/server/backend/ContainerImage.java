package dev.skiff.server.backend;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The image a container runs on, as a backend needs it.
 *
 * @param javaHome the JDK the container's JVM runs on
 * @param javaFeature that JDK's feature version (it decides which JVM flags exist)
 * @param classpath entries the image adds after the app's classpath (host paths)
 * @param workdir the container's working directory: inside {@code rootfs} when there is one, else
 *     a host path
 * @param rootfs the root file system the container runs in (a Debian image), with the JDK and the
 *     classpath bound in read-only; empty: the host's
 */
public record ContainerImage(
    Path javaHome, int javaFeature, List<String> classpath, String workdir, Optional<Path> rootfs) {
  /** Where the JDK is bound inside a root file system. */
  public static final String JDK_MOUNT = "/skiff/jdk";

  /** Copies the list; rejects nulls. */
  public ContainerImage {
    Objects.requireNonNull(javaHome, "javaHome");
    classpath = List.copyOf(classpath);
    Objects.requireNonNull(workdir, "workdir");
    Objects.requireNonNull(rootfs, "rootfs");
  }
}
