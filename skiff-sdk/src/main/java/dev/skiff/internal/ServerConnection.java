package dev.skiff.internal;

import java.util.Optional;

/**
 * The one connection of this JVM to the long-running server, for calls by name ({@code
 * RemoteFunction}, {@code FunctionCall.fromId}) that belong to no running app. In a container it is
 * the container's own channel to its control plane (its Unix socket, with its container token).
 * Opened on first use and kept until the configured server changes ({@link #reset}). Thread-safe.
 */
public final class ServerConnection {
  // Guarded by ServerConnection.class.
  private static Connection connection;

  private ServerConnection() {}

  /**
   * The client of the configured server.
   *
   * @throws dev.skiff.SkiffException if no server is configured or it does not answer
   */
  public static synchronized SkiffClient client() {
    Optional<AppBinding> container = ContainerContext.current();
    if (container.isPresent()) {
      // In a container: its own channel to its control plane, the only one it has.
      return container.get().client();
    }
    if (connection == null) {
      connection = Connection.openServer();
    }
    return connection.client();
  }

  /**
   * Forgets the connection, closing it, so that the next call opens one to whatever server is
   * configured then: a test fixture that installs another server ({@link
   * Connection#installDefault}) must not leave calls by name going to the previous one.
   */
  public static synchronized void reset() {
    if (connection != null) {
      Connection old = connection;
      connection = null;
      old.close();
    }
  }
}
