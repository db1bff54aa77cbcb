package dev.skiff.server.backend;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A built image as a backend runs a container on it: its JDK, working directory, environment, jars
 * and files. A {@link ContainerSpec} names it by id; the backend resolves the id through its {@link
 * ImageResolver}.
 *
 * @param javaHome the JDK the container's JVM runs on (seen at the same path in a sandbox)
 * @param javaFeature that JDK's feature version (it decides which JVM flags exist)
 * @param workdir the container's working directory: inside the root file system when the image has
 *     one, else a host path
 * @param mounts host files and directories a sandboxed container sees read-only at other paths, by
 *     the absolute path inside the container (files added at absolute paths to a JDK image)
 * @param env the environment variables it sets, under the spec's own
 * @param classpath the jars it adds after the spec's classpath (host paths), in order
 * @param readOnly its files, which a sandboxed container sees read-only at their host paths
 * @param rootFs a directory the container sees as {@code /} (a Debian image's root)
 */
public record ContainerImage(
    Path javaHome,
    int javaFeature,
    String workdir,
    Map<String, Path> mounts,
    Map<String, String> env,
    List<String> classpath,
    List<Path> readOnly,
    Optional<Path> rootFs) {
  /** Copies the collections; rejects nulls. */
  public ContainerImage {
    Objects.requireNonNull(javaHome, "javaHome");
    Objects.requireNonNull(workdir, "workdir");
    mounts = Map.copyOf(mounts);
    env = Map.copyOf(env);
    classpath = List.copyOf(classpath);
    readOnly = List.copyOf(readOnly);
    Objects.requireNonNull(rootFs, "rootFs");
  }

  /** An image with no files at absolute paths, environment, jars, files or root of its own. */
  public ContainerImage(Path javaHome, int javaFeature, String workdir) {
    this(
        javaHome, javaFeature, workdir, Map.of(), Map.of(), List.of(), List.of(), Optional.empty());
  }

  /** The capabilities a container on this image needs of its backend, beyond its spec's. */
  public Set<Capability> needs() {
    Set<Capability> needs = EnumSet.noneOf(Capability.class);
    if (rootFs.isPresent()) {
      needs.add(Capability.ROOT_FS);
    }
    if (!mounts.isEmpty()) {
      needs.add(Capability.SANDBOX);
    }
    return needs;
  }
}
