package dev.skiff.cli;

import dev.skiff.SkiffException;
import dev.skiff.internal.ClientConfig;
import dev.skiff.internal.ServerTrust;
import dev.skiff.internal.SkiffClient;
import java.nio.file.Path;

/**
 * Finds and connects to the long-running server: the client configuration {@code config.json}
 * ({@code {"server": "host:port", "token": "...", "certificate": "..."}}) in {@code $SKIFF_HOME},
 * else in {@code ~/.skiff}, which {@code skiff server} writes when it starts, overridden field by
 * field by the environment variables {@code SKIFF_SERVER} ({@code host:port}, or several replicas'
 * {@code host1:port,host2:port}) and {@code SKIFF_TOKEN} as {@link ClientConfig#resolve} says. The
 * server is verified as {@link ServerTrust} says before the token is sent.
 */
final class ServerConnection {
  private ServerConnection() {}

  /**
   * The configured server.
   *
   * @throws CliException if none is configured or the configuration cannot be read
   */
  static ClientConfig configured() {
    Path config = ClientConfig.defaultFile();
    try {
      return ClientConfig.resolve(System.getenv(), config)
          .orElseThrow(
              () ->
                  new CliException(
                      "no Skiff server is configured: start one with 'skiff server' (it writes "
                          + config
                          + "), or set SKIFF_SERVER and SKIFF_TOKEN"));
    } catch (SkiffException e) {
      throw new CliException(e.getMessage());
    }
  }

  /** Connects to the configured server. */
  static SkiffClient connect() {
    ClientConfig c = configured();
    try {
      return SkiffClient.connect(c);
    } catch (SkiffException e) {
      throw new CliException(e.getMessage());
    }
  }
}
