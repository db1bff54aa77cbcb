package dev.skiff.server;

import dev.skiff.server.backend.ContainerImage;
import java.util.Map;

/**
 * A built image as a function's containers use it: what the backend needs and the environment
 * variables the image sets.
 *
 * @param id the image's id
 * @param container the backend's view (JDK, extra classpath, working directory, root)
 * @param env the image's environment variables
 */
record ImageRuntime(String id, ContainerImage container, Map<String, String> env) {
  ImageRuntime {
    env = Map.copyOf(env);
  }

  static ImageRuntime of(dev.skiff.server.image.BuiltImage image) {
    return new ImageRuntime(
        image.id(),
        new ContainerImage(
            image.javaHome(),
            image.javaFeature(),
            image.classpath(),
            image.workdir(),
            image.rootfs()),
        image.env());
  }
}
