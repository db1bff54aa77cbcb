package dev.skiff.server.backend;

import java.nio.file.Path;

/**
 * Where a backend finds a stored jar that a {@link ContainerSpec}'s classpath names by content hash
 * ({@link ClasspathEntry.Jar}). The control plane keeps the jars of deployed apps ({@code
 * deploy.JarStore}); it gives a backend this at construction ({@link BackendConfig#jars()}).
 */
@FunctionalInterface
public interface JarResolver {
  /** The file on this machine that holds the jar with this SHA-256. */
  Path jar(String sha256);

  /** For a backend that is given no stored jars: resolving any fails, naming it. */
  static JarResolver none() {
    return sha256 -> {
      throw new IllegalStateException(
          "jar " + sha256 + " cannot be found: this container backend was given no stored jars");
    };
  }
}
