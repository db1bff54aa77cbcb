package dev.skiff.server.backend.kubernetes;

/**
 * Placeholder so that the Kubernetes backend compiles: part "boot" of issue 18 replaces this class
 * with the one that builds the pod boot jar.
 */
final class PodBootJar {
  private PodBootJar() {}

  /** The pod boot jar's bytes. */
  static byte[] bytes() {
    throw new UnsupportedOperationException("the pod boot jar is built by part boot");
  }
}
