package dev.skiff.server.backend;

import java.util.List;
import java.util.Objects;

/**
 * One entry of a container's classpath: a stored jar by its content hash, which the backend
 * materialises ({@link JarResolver}: on this machine, the control plane's jar store; elsewhere, by
 * fetching it), or a path on the control plane's machine (the jars of an app run from a client on
 * that machine, which have no stored copy).
 */
public sealed interface ClasspathEntry {
  /**
   * A stored jar.
   *
   * @param sha256 the jar's SHA-256, 64 lower-case hex digits
   */
  record Jar(String sha256) implements ClasspathEntry {
    /** Rejects null. */
    public Jar {
      Objects.requireNonNull(sha256, "sha256");
    }
  }

  /**
   * A jar or class directory at a path on the control plane's machine.
   *
   * @param path its absolute path
   */
  record HostPath(String path) implements ClasspathEntry {
    /** Rejects null. */
    public HostPath {
      Objects.requireNonNull(path, "path");
    }
  }

  /** Each of {@code paths} as a {@link HostPath}, in order. */
  static List<ClasspathEntry> hostPaths(List<String> paths) {
    return paths.stream().<ClasspathEntry>map(HostPath::new).toList();
  }

  /** Each of {@code sha256s} as a {@link Jar}, in order. */
  static List<ClasspathEntry> jars(List<String> sha256s) {
    return sha256s.stream().<ClasspathEntry>map(Jar::new).toList();
  }
}
