package dev.skiff.server.runtime;

import dev.skiff.server.backend.ClasspathEntry;
import java.util.List;
import java.util.Set;

/**
 * The identity of a registered app, as its containers need it.
 *
 * @param id the app id ({@code ap-...})
 * @param name the name the user gave the app
 * @param classpath the classpath its containers run with: stored jars by content hash or host paths
 * @param callableApps the deployed apps whose functions its containers may call besides its own
 */
public record AppSpec(
    String id, String name, List<ClasspathEntry> classpath, Set<String> callableApps) {
  public AppSpec {
    classpath = List.copyOf(classpath);
    callableApps = Set.copyOf(callableApps);
  }

  /** An app on these host paths whose containers may call its own functions only. */
  public AppSpec(String id, String name, List<String> classpath) {
    this(id, name, ClasspathEntry.hostPaths(classpath), Set.of());
  }
}
