package dev.skiff.internal;

import dev.skiff.SkiffException;
import dev.skiff.internal.spi.ControlPlaneFactory;
import dev.skiff.internal.spi.EmbeddedConfig;
import dev.skiff.internal.spi.EmbeddedControlPlane;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * A client connected to the control plane that {@code App.run()} should use, and the embedded
 * control plane it started if it started one. The server is chosen in this order:
 *
 * <ol>
 *   <li>a server installed for this JVM by a test fixture ({@link #installDefault});
 *   <li>the environment variables {@code SKIFF_SERVER} ({@code host:port}) and {@code
 *       SKIFF_TOKEN};
 *   <li>otherwise a new embedded control plane in this JVM, closed with the connection.
 * </ol>
 *
 * @param client the client
 * @param embedded the control plane this connection started and owns
 */
public record Connection(SkiffClient client, Optional<EmbeddedControlPlane> embedded)
    implements AutoCloseable {

  private static volatile String[] installed;

  /** Makes every later {@code App.run()} in this JVM use this server (used by test fixtures). */
  public static void installDefault(String target, String token) {
    installed = new String[] {target, token};
  }

  /** Undoes {@link #installDefault}. */
  public static void clearDefault() {
    installed = null;
  }

  /** Connects to the configured server, or starts an embedded one. */
  public static Connection open() {
    String[] fixed = installed;
    if (fixed != null) {
      return new Connection(SkiffClient.connect(fixed[0], fixed[1]), Optional.empty());
    }
    String server = System.getenv("SKIFF_SERVER");
    if (server != null && !server.isBlank()) {
      String token = System.getenv("SKIFF_TOKEN");
      if (token == null || token.isBlank()) {
        throw new SkiffException(
            "SKIFF_SERVER is set to '" + server + "' but SKIFF_TOKEN is not; set both, or neither"
                + " to use an embedded control plane");
      }
      return new Connection(SkiffClient.connect(server, token), Optional.empty());
    }
    ControlPlaneFactory factory =
        ServiceLoader.load(ControlPlaneFactory.class)
            .findFirst()
            .orElseThrow(
                () ->
                    new SkiffException(
                        "no Skiff server is configured (SKIFF_SERVER) and the embedded control"
                            + " plane is not on the classpath: add the dev.skiff:skiff-server"
                            + " dependency"));
    EmbeddedControlPlane plane = factory.start(EmbeddedConfig.defaults());
    return new Connection(SkiffClient.connect(plane.target(), plane.token()), Optional.of(plane));
  }

  @Override
  public void close() {
    try {
      client.close();
    } finally {
      embedded.ifPresent(EmbeddedControlPlane::close);
    }
  }
}
