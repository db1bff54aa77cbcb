package dev.skiff.server.runtime;

import dev.skiff.server.backend.ContainerImage;
import dev.skiff.server.image.BuiltImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A built image as a function's containers use it.
 *
 * @param id the image's id
 * @param container its JDK and working directory, for the backend
 * @param env the environment variables it sets
 * @param classpath the jars it adds after the app's classpath (host paths)
 * @param readOnly its files, which a sandboxed container sees read-only at their host paths
 * @param rootFs the root file system of a Debian image
 */
public record ImageRuntime(
    String id,
    ContainerImage container,
    Map<String, String> env,
    List<String> classpath,
    List<Path> readOnly,
    Optional<Path> rootFs) {
  public ImageRuntime {
    env = Map.copyOf(env);
    classpath = List.copyOf(classpath);
    readOnly = List.copyOf(readOnly);
  }

  public static ImageRuntime of(BuiltImage image) {
    return new ImageRuntime(
        image.id(),
        new ContainerImage(image.javaHome(), image.javaFeature(), image.workdir(), image.mounts()),
        image.env(),
        image.classpath(),
        image.files().map(List::of).orElse(List.of()),
        image.rootfs());
  }
}
