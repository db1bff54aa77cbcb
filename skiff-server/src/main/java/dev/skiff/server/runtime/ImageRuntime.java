package dev.skiff.server.runtime;

import dev.skiff.server.image.BuiltImage;

/**
 * A built image as a function's containers use it: by id, which the container backend resolves (its
 * files, jars and environment never pass through the control plane's scheduling).
 *
 * @param id the image's id
 */
public record ImageRuntime(String id) {
  public static ImageRuntime of(BuiltImage image) {
    return new ImageRuntime(image.id());
  }
}
