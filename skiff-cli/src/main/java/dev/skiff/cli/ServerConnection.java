package dev.skiff.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skiff.SkiffException;
import dev.skiff.internal.ClientConfig;
import dev.skiff.internal.ServerTrust;
import dev.skiff.internal.SkiffClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds and connects to the long-running server: the environment variables {@code SKIFF_SERVER}
 * ({@code host:port}) and {@code SKIFF_TOKEN} if set, else the client configuration {@code
 * config.json} ({@code {"server": "host:port", "token": "...", "certificate": "..."}}) in {@code
 * $SKIFF_HOME}, else in {@code ~/.skiff}, which {@code skiff server} writes when it starts. The
 * server is verified as {@link ServerTrust} says before the token is sent.
 */
final class ServerConnection {
  private ServerConnection() {}

  /** Where to connect, with which token, and how to verify the server before sending it. */
  record Target(String server, String token, ServerTrust trust, String source) {}

  /**
   * The configured server.
   *
   * @throws CliException if none is configured or the configuration cannot be read
   */
  static Target configured() {
    String server = System.getenv("SKIFF_SERVER");
    String token = System.getenv("SKIFF_TOKEN");
    if (server != null && !server.isBlank()) {
      if (token == null || token.isBlank()) {
        throw new CliException("SKIFF_SERVER is set but SKIFF_TOKEN is not; set both");
      }
      try {
        return new Target(server, token, ServerTrust.fromEnvironment(), "SKIFF_SERVER");
      } catch (SkiffException e) {
        throw new CliException(e.getMessage());
      }
    }
    Path config = configFile();
    if (!Files.isRegularFile(config)) {
      throw new CliException(
          "no Skiff server is configured: start one with 'skiff server' (it writes "
              + config
              + "), or set SKIFF_SERVER and SKIFF_TOKEN");
    }
    try {
      JsonNode node = new ObjectMapper().readTree(config.toFile());
      String s = text(node, "server").orElse("");
      String t = text(node, "token").orElse("");
      if (s.isBlank() || t.isBlank()) {
        throw new CliException(
            config + " must hold {\"server\": \"host:port\", \"token\": \"...\"}");
      }
      ServerTrust trust;
      try {
        trust = ClientConfig.read(config).orElseThrow().trust();
      } catch (SkiffException e) {
        throw new CliException(e.getMessage());
      }
      return new Target(s, t, trust, config.toString());
    } catch (IOException e) {
      throw new CliException(
          "cannot read the client configuration " + config + ": " + e.getMessage());
    }
  }

  /** Connects to the configured server. */
  static SkiffClient connect() {
    Target t = configured();
    try {
      return SkiffClient.connect(t.server(), t.token(), t.trust());
    } catch (SkiffException e) {
      throw new CliException(e.getMessage());
    }
  }

  /** {@code $SKIFF_HOME/config.json}, else {@code ~/.skiff/config.json}. */
  static Path configFile() {
    String home = System.getenv("SKIFF_HOME");
    Path base =
        home != null && !home.isBlank()
            ? Path.of(home)
            : Path.of(System.getProperty("user.home"), ".skiff");
    return base.resolve("config.json");
  }

  private static Optional<String> text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || !v.isTextual() ? Optional.empty() : Optional.of(v.asText());
  }
}
