package dev.skiff.internal;

import dev.skiff.SkiffException;
import dev.skiff.internal.spi.ControlPlaneFactory;
import dev.skiff.internal.spi.EmbeddedConfig;
import dev.skiff.internal.spi.EmbeddedControlPlane;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.function.Supplier;

/**
 * A client connected to the control plane that {@code App.run()} should use, and the embedded
 * control plane it started if it started one. The server is chosen in this order:
 *
 * <ol>
 *   <li>a server installed for this JVM by a test fixture ({@link #installDefault});
 *   <li>the environment variables {@code SKIFF_SERVER} ({@code host:port}, or several replicas'
 *       {@code host1:port,host2:port}) and {@code SKIFF_TOKEN}, over TLS verified with the system
 *       trust store or {@code SKIFF_TLS_CA} (or without TLS to a loopback server if {@code
 *       SKIFF_TLS=off});
 *   <li>the client config {@code $SKIFF_HOME/config.json} (default {@code ~/.skiff/config.json})
 *       that the long-running server writes, if its server accepts connections, with its token
 *       replaced by {@code SKIFF_TOKEN} if that alone is set ({@link ClientConfig#resolve} has the
 *       rules, and refuses {@code SKIFF_SERVER} alone for another server than the file's);
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

  // The control plane in this JVM that a test fixture installed; null when none is.
  private static volatile EmbeddedControlPlane installedPlane;

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
    installedPlane = null;
    ServerConnection.reset();
  }

  /**
   * Makes every later {@code App.run()} in this JVM use this embedded control plane, reached as
   * {@link #open()} reaches one it starts (used by test fixtures).
   */
  public static void installDefault(EmbeddedControlPlane plane) {
    installed = () -> SkiffClient.connect(plane);
    installedPlane = plane;
    ServerConnection.reset();
  }

  /** Undoes {@link #installDefault}. */
  public static void clearDefault() {
    installed = null;
    installedPlane = null;
    ServerConnection.reset();
  }

  /**
   * The control plane in this JVM that this connection talks to: the one it started, or one a test
   * fixture installed; empty for a server elsewhere.
   */
  public Optional<EmbeddedControlPlane> inThisJvm() {
    EmbeddedControlPlane fixture = installedPlane;
    return embedded.isPresent() || fixture == null || installed == null
        ? embedded
        : Optional.of(fixture);
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
    Optional<ClientConfig> config = ClientConfig.resolve();
    if (config.isEmpty()) {
      return Optional.empty();
    }
    ClientConfig c = config.get();
    String origin =
        c.serverSource().equals(c.tokenSource())
            ? c.serverSource()
            : c.serverSource() + "; token from " + c.tokenSource();
    if (c.serverSource().equals(ClientConfig.SERVER_SOURCE)) {
      // Named by the environment: used as it is, and a down server fails the first call, saying so.
      announce("skiff: using the server at " + c.server() + " (" + origin + ")");
      return Optional.of(SkiffClient.connect(c));
    }
    if (c.reachable()) {
      announce("skiff: using the server at " + c.server() + " (" + origin + ")");
      return Optional.of(SkiffClient.connect(c));
    }
    if (serverRequired) {
      throw new SkiffException(
          "the Skiff server at "
              + c.server()
              + " (address from "
              + c.serverSource()
              + ") does not answer; start it with 'skiff server', or check the address");
    }
    announce(
        "skiff: the server at "
            + c.server()
            + " (from "
            + c.serverSource()
            + ") does not answer; using an embedded control plane");
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
