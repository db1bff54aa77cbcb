package dev.skiff;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Credentials given to a function's containers as environment variables, and only to the functions
 * that list them.
 *
 * <p>Immutable and thread-safe.
 */
public sealed interface Secret {
  /** A secret stored in the control plane under a name. */
  record Named(String name, List<String> requiredKeys) implements Secret {
    /**
     * @throws InvalidConfigurationException if the name is not allowed
     */
    public Named {
      if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}")) {
        throw new InvalidConfigurationException(
            "secrets: name '" + name + "' is not allowed; use 1-64 of [A-Za-z0-9_.-]");
      }
      requiredKeys = List.copyOf(requiredKeys);
      for (String key : requiredKeys) {
        if (!isValidKey(key)) {
          throw new InvalidConfigurationException(
              "secrets: required key '"
                  + key
                  + "' of secret '"
                  + name
                  + "' is not allowed; use"
                  + " [A-Za-z_][A-Za-z0-9_]* not starting with SKIFF_");
        }
      }
    }

    /**
     * This secret, which must also contain each of {@code keys}; {@code app.run()} fails, naming
     * the secret and the key, if one is missing.
     *
     * @throws InvalidConfigurationException if a key is not an allowed variable name
     */
    public Named requireKeys(String... keys) {
      List<String> all = new ArrayList<>(requiredKeys);
      all.addAll(List.of(keys));
      return new Named(name, all);
    }
  }

  /** A secret given inline. */
  record FromMap(Map<String, String> values) implements Secret {
    /**
     * Copies the map.
     *
     * @throws InvalidConfigurationException if a key is not an allowed variable name
     */
    public FromMap {
      values = Map.copyOf(values);
      for (String key : values.keySet()) {
        if (!isValidKey(key)) {
          throw new InvalidConfigurationException(
              "secrets: key '"
                  + key
                  + "' is not allowed; use [A-Za-z_][A-Za-z0-9_]* not starting"
                  + " with SKIFF_");
        }
      }
    }

    @Override
    public String toString() {
      return "Secret.FromMap" + values.keySet();
    }
  }

  /** A secret read from a {@code .env} file when the app starts. */
  record FromDotenv(Path path) implements Secret {
    /** Checks the path. */
    public FromDotenv {
      Objects.requireNonNull(path, "path");
    }
  }

  /** Whether {@code key} may name a secret's environment variable. */
  static boolean isValidKey(String key) {
    return key != null && key.matches("[A-Za-z_][A-Za-z0-9_]*") && !key.startsWith("SKIFF_");
  }

  /**
   * The secret stored under {@code name} in the control plane's secret store (see {@code skiff
   * secret create}); it is looked up when the app starts, and {@code app.run()} fails naming it if
   * it does not exist. Add required keys with {@link Named#requireKeys}.
   *
   * @throws InvalidConfigurationException if the name is not allowed
   */
  static Named fromName(String name) {
    return new Named(name, List.of());
  }

  /** The secret stored under {@code name}, which must contain each of {@code requiredKeys}. */
  static Named fromName(String name, String... requiredKeys) {
    return new Named(name, List.of(requiredKeys));
  }

  /** A secret whose values are given here. */
  static Secret fromMap(Map<String, String> values) {
    return new FromMap(values);
  }

  /** A secret read from a dotenv file. */
  static Secret fromDotenv(Path path) {
    return new FromDotenv(path);
  }
}
