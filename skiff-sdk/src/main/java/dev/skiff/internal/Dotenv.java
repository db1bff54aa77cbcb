package dev.skiff.internal;

import dev.skiff.InvalidConfigurationException;
import dev.skiff.Secret;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads {@code .env} files, for secrets. Stateless and thread-safe. */
public final class Dotenv {
  private Dotenv() {}

  /**
   * Reads {@code KEY=VALUE} lines; blank lines and {@code #} comments are skipped, an {@code export
   * } prefix is allowed, and matching single or double quotes around a value are removed.
   *
   * @param context what error messages start with, e.g. the function the file is for
   * @throws InvalidConfigurationException if the file cannot be read or a line is not {@code
   *     KEY=VALUE} with an allowed key
   */
  public static Map<String, String> read(Path path, String context) {
    List<String> lines;
    try {
      lines = Files.readAllLines(path);
    } catch (IOException e) {
      throw new InvalidConfigurationException(
          context + "cannot read dotenv file '" + path + "': " + e);
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
            context
                + "line "
                + (i + 1)
                + " of dotenv file '"
                + path
                + "' is not KEY=VALUE with KEY of [A-Za-z_][A-Za-z0-9_]* not starting with SKIFF_");
      }
      String value = line.substring(eq + 1).strip();
      if (value.length() >= 2
          && ((value.startsWith("\"") && value.endsWith("\""))
              || (value.startsWith("'") && value.endsWith("'")))) {
        value = value.substring(1, value.length() - 1);
      }
      env.put(key, value);
    }
    return env;
  }
}
