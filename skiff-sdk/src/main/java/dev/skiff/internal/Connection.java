package dev.skiff.internal;

import dev.skiff.SkiffException;
import dev.skiff.internal.spi.ControlPlaneFactory;
import dev.skiff.internal.spi.EmbeddedConfig;
import dev.skiff.internal.spi.EmbeddedControlPlane;
import java.nio.file.Path;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.function.Supplier;

/**
 * A client connected to the control plane that {@code App.run()} should use, and the embedded
 * control plane it started if it started one. The server is chosen in this order:
 *
 * <ol>
 *   <li>a server installed for this JVM by a test fixture ({@link #installDefault});
 *   <li>the environment variables {@code SKIFF_SERVER} ({@code host:port}) and {@code SKIFF_TOKEN},
 *       over TLS verified with the system trust store or {@code SKIFF_TLS_CA} (or without TLS to a
 *       loopback server if {@code SKIFF_TLS=off});
 *   <li>the client config {@code $SKIFF_HOME/config.json} (default {@code ~/.skiff/config.json})
 *       that the long-running server writes, if its server accepts connections;
 *   <li>otherwise a new embedded control plane in this JVM, closed with the connection.
 * </ol>
 *
 * When a configured server is used, or the config names a server that does not answer and the
 * embedded control plane is used instead, one line on stderr says so.
 *
 * @param client the client
 * @param embedded the control plane this connection started and owns
 */
public record Connection(SkiffClient client, Optional<EmbeddedControlPlane> embedded)
    implements AutoCloseable {

  // How to reach the server a test fixture installed; null when none is.
  private static volatile Supplier<SkiffClient> installed;

  /**
   * Makes every later {@code App.run()} in this JVM use this control plane on loopback, without TLS
   * (used by test fixtures with an embedded control plane).
   */
  public static void installDefault(String target, String token) {
    installDefault(target, token, ServerTrust.plaintext());
  }

  /**
   * Makes every later {@code App.run()} in this JVM use this server, verified with {@code trust}
   * (used by test fixtures).
   */
  public static void installDefault(String target, String token, ServerTrust trust) {
    installed = () -> SkiffClient.connect(target, token, trust);
    ServerConnection.reset();
  }

  /**
   * Makes every later {@code App.run()} in this JVM use this embedded control plane, reached as
   * {@link #open()} reaches one it starts (used by test fixtures).
   */
  public static void installDefault(EmbeddedControlPlane plane) {
    installed = () -> SkiffClient.connect(plane);
    ServerConnection.reset();
  }

  /** Undoes {@link #installDefault}. */
  public static void clearDefault() {
    installed = null;
    ServerConnection.reset();
  }

  private static volatile boolean announced;

  /** Connects to the configured server, or starts an embedded one. */
  public static Connection open() {
    Optional<SkiffClient> server = configured(false);
    if (server.isPresent()) {
      return new Connection(server.get(), Optional.empty());
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
    return new Connection(SkiffClient.connect(plane), Optional.of(plane));
  }

  /**
   * Connects to the long-running server (as {@link #open()} chooses it) and never starts an
   * embedded control plane: for deploying and for calls by name.
   *
   * @throws SkiffException if no server is configured or the configured one does not answer
   */
  public static Connection openServer() {
    return new Connection(
        configured(true)
            .orElseThrow(
                () ->
                    new SkiffException(
                        "no Skiff server is configured: start one (skiff server), which writes "
                            + ClientConfig.defaultFile()
                            + ", or set SKIFF_SERVER and SKIFF_TOKEN")),
        Optional.empty());
  }

  /** The installed, environment or config-file server; empty to use an embedded one. */
  private static Optional<SkiffClient> configured(boolean serverRequired) {
    Supplier<SkiffClient> fixed = installed;
    if (fixed != null) {
      return Optional.of(fixed.get());
    }
    String server = System.getenv("SKIFF_SERVER");
    if (server != null && !server.isBlank()) {
      String token = System.getenv("SKIFF_TOKEN");
      if (token == null || token.isBlank()) {
        throw new SkiffException(
            "SKIFF_SERVER is set to '"
                + server
                + "' but SKIFF_TOKEN is not; set both, or neither"
                + " to use an embedded control plane");
      }
      announce("skiff: using the server at " + server + " (SKIFF_SERVER)");
      // A Unix socket (a container's way to its control plane) is local: no TLS over it.
      ServerTrust trust =
          server.startsWith(SkiffClient.UNIX_PREFIX)
              ? ServerTrust.plaintext()
              : ServerTrust.fromEnvironment();
      return Optional.of(SkiffClient.connect(server, token, trust));
    }
    Path file = ClientConfig.defaultFile();
    Optional<ClientConfig> config = ClientConfig.read(file);
    if (config.isEmpty()) {
      return Optional.empty();
    }
    if (config.get().reachable()) {
      announce("skiff: using the server at " + config.get().server() + " (" + file + ")");
      return Optional.of(
          SkiffClient.connect(config.get().server(), config.get().token(), config.get().trust()));
    }
    if (serverRequired) {
      throw new SkiffException(
          "the Skiff server at "
              + config.get().server()
              + " (from "
              + file
              + ") does not answer;"
              + " start it with skiff server");
    }
    announce(
        "skiff: the server at "
            + config.get().server()
            + " (from "
            + file
            + ") does not answer;"
            + " using an embedded control plane");
    return Optional.empty();
  }

  private static void announce(String line) {
    if (!announced) {
      announced = true;
      System.err.println(line);
    }
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
