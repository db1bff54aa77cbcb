package dev.skiff.server.backend;

/** Something a container may need that not every backend can give it. */
public enum Capability {
  /**
   * Isolation from the host: the container sees only its own files and, unless its function allows
   * the network, no network (a blocked network, image files at absolute paths).
   */
  SANDBOX,
  /** Volumes mounted read-write at paths of the container's choosing. */
  VOLUMES,
  /** A root file system of its own (a Debian image's). */
  ROOT_FS,
  /** GPU devices handed to the container alone. */
  GPUS,
  /** Secret values in its environment, which only a sandbox (or the operator's word) protects. */
  SECRETS,
  /**
   * An image of a container registry as its root, pulled by reference ({@code Image.fromRegistry}).
   */
  REGISTRY_IMAGE
}
