package dev.skiff.server;

import java.util.List;

/**
 * The identity of a registered app, as its containers need it.
 *
 * @param id the app id ({@code ap-...})
 * @param name the name the user gave the app
 * @param classpath the classpath its containers run with
 */
record AppSpec(String id, String name, List<String> classpath) {
  AppSpec {
    classpath = List.copyOf(classpath);
  }
}
