/**
 * Images: building what containers run on from a recipe (a JDK installed on the node, Maven
 * artifacts resolved from Maven Central, local files, environment, build commands, optionally a
 * Debian root file system made with mmdebstrap), identified by a hash of the recipe and cached in
 * the control plane's data directory. Internal.
 *
 * <p><b>Owns:</b> the built images under the build directory.
 *
 * <p><b>May use:</b> {@code backend} (the image a container runs on); {@code store} for its {@code
 * SharedBytes} only (the recipes that replicas on one store share).
 */
package dev.skiff.server.image;
