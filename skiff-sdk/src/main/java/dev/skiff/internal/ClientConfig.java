package dev.skiff.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skiff.SkiffException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * The client configuration that the long-running server writes and the SDK and CLI read: {@code
 * $SKIFF_HOME/config.json} (default {@code ~/.skiff/config.json}), {@code {"server":
 * "127.0.0.1:7733", "token": "...", "certificate": "-----BEGIN CERTIFICATE-----..."}}, readable by
 * its owner only.
 *
 * <p>How the client verifies the server before it sends the token: {@code "certificate"} (PEM) pins
 * the server's certificate, so the client trusts exactly it; {@code "tls": false} means a server
 * without TLS, on loopback only; with neither, the server's certificate must be signed by a CA of
 * the system trust store. {@code SKIFF_TLS_CA} (a PEM file) overrides all three.
 *
 * @param server {@code host:port} of the server
 * @param token the API token
 * @param trust how the client verifies the server (with {@code SKIFF_TLS_CA} applied)
 */
public record ClientConfig(String server, String token, ServerTrust trust) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** {@code $SKIFF_HOME/config.json}, or {@code ~/.skiff/config.json}. */
  public static Path defaultFile() {
    String home = System.getenv("SKIFF_HOME");
    Path base =
        home != null && !home.isBlank()
            ? Path.of(home)
            : Path.of(System.getProperty("user.home"), ".skiff");
    return base.resolve("config.json").toAbsolutePath();
  }

  /**
   * Reads a configuration file.
   *
   * @return empty if the file does not exist
   * @throws SkiffException if it exists but is not a valid configuration
   */
  public static Optional<ClientConfig> read(Path file) {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      JsonNode n = JSON.readTree(file.toFile());
      String server = n.path("server").asText("");
      String token = n.path("token").asText("");
      if (server.isBlank() || token.isBlank()) {
        throw new SkiffException(
            "the Skiff client config "
                + file
                + " lacks \"server\" or \"token\"; delete it or"
                + " restart the server to rewrite it");
      }
      ServerTrust trust;
      String source = file.toString();
      if (n.path("tls").isBoolean() && !n.path("tls").asBoolean()) {
        trust = new ServerTrust.Plaintext("\"tls\": false in " + source);
      } else if (n.path("certificate").isTextual()) {
        trust = ServerTrust.pinned(n.path("certificate").asText(), source);
      } else {
        trust = new ServerTrust.Authorities(Optional.empty(), "the system trust store");
      }
      return Optional.of(new ClientConfig(server, token, ServerTrust.withEnvironment(trust)));
    } catch (IOException e) {
      throw new SkiffException("the Skiff client config " + file + " is not valid JSON: " + e, e);
    }
  }

  /**
   * Writes a configuration file with owner-only permissions (atomically replacing one there).
   *
   * @param certificate the server's certificate (PEM) that clients pin; empty for a server without
   *     TLS
   */
  public static void write(Path file, String server, String token, Optional<String> certificate) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Path temp = Files.createTempFile(file.toAbsolutePath().getParent(), "config-", ".tmp");
      try {
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // Not a POSIX file system.
      }
      ObjectNode n = JSON.createObjectNode().put("server", server).put("token", token);
      certificate.ifPresentOrElse(pem -> n.put("certificate", pem), () -> n.put("tls", false));
      Files.writeString(temp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n");
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("could not write the Skiff client config " + file, e);
    }
  }

  /** Whether something accepts TCP connections at {@link #server()} within a short time. */
  public boolean reachable() {
    int colon = server.lastIndexOf(':');
    if (colon <= 0) {
      return false;
    }
    try (Socket s = new Socket()) {
      s.connect(
          new InetSocketAddress(
              server.substring(0, colon), Integer.parseInt(server.substring(colon + 1))),
          1000);
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
