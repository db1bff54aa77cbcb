package dev.skiff;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a function's {@link Secret}s into the environment variables its containers get, when the
 * app starts: later secrets override earlier ones. Values are never logged or put in messages.
 */
final class SecretValues {
  private SecretValues() {}

  static Map<String, String> resolve(List<Secret> secrets, String function, String app) {
    Map<String, String> env = new LinkedHashMap<>();
    for (Secret secret : secrets) {
      switch (secret) {
        case Secret.Named n ->
            throw new UnsupportedOptionException(
                "not implemented yet: Secret.fromName(\"" + n.name() + "\") (function '" + function
                    + "' of app '" + app + "'); named secrets need the long-running server; use"
                    + " Secret.fromMap or Secret.fromDotenv");
        case Secret.FromMap m -> env.putAll(m.values());
        case Secret.FromDotenv d -> env.putAll(readDotenv(d.path(), function));
      }
    }
    return env;
  }

  /**
   * Reads {@code KEY=VALUE} lines; blank lines and {@code #} comments are skipped, an {@code
   * export } prefix is allowed, and matching single or double quotes around a value are removed.
   */
  static Map<String, String> readDotenv(Path path, String function) {
    List<String> lines;
    try {
      lines = Files.readAllLines(path);
    } catch (IOException e) {
      throw new InvalidConfigurationException(
          "function '" + function + "': secrets: cannot read dotenv file '" + path + "': " + e);
    }
    Map<String, String> env = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      if (line.startsWith("export ")) {
        line = line.substring("export ".length()).strip();
      }
      int eq = line.indexOf('=');
      String key = eq < 0 ? line : line.substring(0, eq).strip();
      if (eq < 0 || !Secret.isValidKey(key)) {
        throw new InvalidConfigurationException(
            "function '" + function + "': secrets: line " + (i + 1) + " of dotenv file '" + path
                + "' is not KEY=VALUE with KEY of [A-Za-z_][A-Za-z0-9_]* not starting with SKIFF_");
      }
      String value = line.substring(eq + 1).strip();
      if (value.length() >= 2
          && (value.startsWith("\"") && value.endsWith("\"")
              || value.startsWith("'") && value.endsWith("'"))) {
        value = value.substring(1, value.length() - 1);
      }
      env.put(key, value);
    }
    return env;
  }
}
