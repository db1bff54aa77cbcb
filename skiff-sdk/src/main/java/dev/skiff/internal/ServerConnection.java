package dev.skiff.internal;

/**
 * The one connection of this JVM to the long-running server, for calls by name ({@code
 * RemoteFunction}, {@code FunctionCall.fromId}) that belong to no running app. Opened on first use
 * and kept for the JVM's life. Thread-safe.
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
    if (connection == null) {
      connection = Connection.openServer();
    }
    return connection.client();
  }
}
