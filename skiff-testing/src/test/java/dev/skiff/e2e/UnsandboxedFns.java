package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function0;
import dev.skiff.Secret;
import java.util.List;
import java.util.Map;

/** Functions for {@link NoSandboxTest}: one that holds a secret, one that lists its environment. */
public final class UnsandboxedFns {
  static final App app = App.named("unsandboxed");

  /** The names of the container's environment variables. */
  static final Function0<List<String>> environment = app.function(UnsandboxedFns::environmentNames);

  static final App withSecret = App.named("unsandboxed-secret");

  /** A function with a secret, which the embedded default refuses to run outside the sandbox. */
  static final Function0<List<String>> holdsSecret =
      withSecret.function(
          UnsandboxedFns::environmentNames,
          f -> f.name("holdsSecret").secrets(Secret.fromMap(Map.of("API_KEY", "k-123"))));

  static final App blocksNetwork = App.named("unsandboxed-offline");

  /** A function without network, which a plain process (sharing the host's) cannot give it. */
  static final Function0<List<String>> offline =
      blocksNetwork.function(
          UnsandboxedFns::environmentNames, f -> f.name("offline").blockNetwork());

  private UnsandboxedFns() {}

  static List<String> environmentNames() {
    return System.getenv().keySet().stream().sorted().toList();
  }
}
