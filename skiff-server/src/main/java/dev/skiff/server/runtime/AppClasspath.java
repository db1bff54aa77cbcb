package dev.skiff.server.runtime;

import dev.skiff.server.backend.ClasspathEntry;
import java.util.List;

/**
 * The classpath an app's containers run with, as its creator names it: a deployed app's stored jars
 * by content hash, which the container backend materialises, or the paths on this machine of an app
 * run from a client here.
 *
 * @param entries the entries, in order
 */
public record AppClasspath(List<ClasspathEntry> entries) {
  public AppClasspath {
    entries = List.copyOf(entries);
  }

  /** Jars and class directories at these paths on this machine, in order. */
  public static AppClasspath hostPaths(List<String> paths) {
    return new AppClasspath(ClasspathEntry.hostPaths(paths));
  }

  /** Stored jars with these SHA-256s, in order. */
  public static AppClasspath storedJars(List<String> sha256s) {
    return new AppClasspath(ClasspathEntry.jars(sha256s));
  }
}
