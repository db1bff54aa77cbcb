package dev.skiff.server.backend;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A built image as content-addressed files that a container on another machine fetches by SHA-256
 * from the control plane's jar endpoint (a Kubernetes pod does): what a backend that cannot see the
 * control plane's disk runs a container on. {@link ImageResolver#ship} makes one.
 *
 * @param javaFeature the feature version of the image's JDK, which the container's runtime image
 *     must provide
 * @param jars the SHA-256s of the jars the image adds after the spec's classpath, in order
 * @param files the SHA-256 of a zip archive of the image's file tree (added files, build output,
 *     the working directory), which the container unpacks into a directory of its own
 * @param workdir the working directory, relative to the root of that tree ({@code ""}: the root)
 * @param env the environment variables the image sets, under the spec's own
 */
public record ShippedImage(
    int javaFeature,
    List<String> jars,
    Optional<String> files,
    String workdir,
    Map<String, String> env) {
  /** Copies the collections; rejects nulls. */
  public ShippedImage {
    jars = List.copyOf(jars);
    Objects.requireNonNull(files, "files");
    Objects.requireNonNull(workdir, "workdir");
    env = Map.copyOf(env);
  }
}
