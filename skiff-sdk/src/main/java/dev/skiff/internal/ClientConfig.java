package dev.skiff.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skiff.SkiffException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The client configuration that the long-running server writes and the SDK and CLI read: {@code
 * $SKIFF_HOME/config.json} (default {@code ~/.skiff/config.json}), {@code {"server":
 * "127.0.0.1:7733", "token": "...", "certificate": "-----BEGIN CERTIFICATE-----..."}}, readable by
 * its owner only.
 *
 * <p>{@code "server"} (and {@code SKIFF_SERVER}) may list several replicas of one server, {@code
 * "host1:7733,host2:7733"}: the client connects to the first that answers and fails over to the
 * others ({@link SkiffClient#channel(String, String, ServerTrust)}).
 *
 * <p>How the client verifies the server before it sends the token: {@code "certificate"} (PEM) pins
 * the server's certificate, so the client trusts exactly it ({@code "certificates"}, a list of PEM
 * texts, pins one per replica, any of which any replica may present); {@code "tls": false} means a
 * server without TLS, on loopback only; with neither, the server's certificate must be signed by a
 * CA of the system trust store. {@code SKIFF_TLS_CA} (a PEM file) overrides all three.
 *
 * <p>The environment overrides the file field by field ({@link #resolve}): {@code SKIFF_TOKEN}
 * alone replaces the token sent to the file's server; {@code SKIFF_SERVER} with {@code SKIFF_TOKEN}
 * replaces both; {@code SKIFF_SERVER} alone is taken only when it names the file's server, since
 * the file's token must never go to another server.
 *
 * @param server {@code host:port} of the server, or several replicas' {@code host:port} separated
 *     by commas
 * @param token the API token
 * @param trust how the client verifies the server (with {@code SKIFF_TLS_CA} applied)
 * @param serverSource where the address came from, for messages: the config file's path, or {@link
 *     #SERVER_SOURCE}
 * @param tokenSource where the token came from, for messages: the config file's path, or {@link
 *     #TOKEN_SOURCE}
 */
public record ClientConfig(
    String server, String token, ServerTrust trust, String serverSource, String tokenSource) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The environment variable naming the server, {@code host:port} (or {@code unix:/path}). */
  public static final String SERVER_VARIABLE = "SKIFF_SERVER";

  /** The environment variable holding the API token. */
  public static final String TOKEN_VARIABLE = "SKIFF_TOKEN";

  /** The {@link #serverSource()} of an address taken from {@code SKIFF_SERVER}. */
  public static final String SERVER_SOURCE = "the SKIFF_SERVER environment variable";

  /** The {@link #tokenSource()} of a token taken from {@code SKIFF_TOKEN}. */
  public static final String TOKEN_SOURCE = "the SKIFF_TOKEN environment variable";

  /**
   * The server and token a client uses, from this process's environment and {@link #defaultFile()},
   * as {@link #resolve(Map, Path)} chooses them.
   */
  public static Optional<ClientConfig> resolve() {
    return resolve(System.getenv(), defaultFile());
  }

  /**
   * The server and token a client uses: the environment overrides the file, field by field.
   *
   * <ul>
   *   <li>{@code SKIFF_SERVER} and {@code SKIFF_TOKEN}: both from the environment, the server
   *       verified as {@link ServerTrust#fromEnvironment(Map)} says (no TLS over a {@code unix:}
   *       socket); the file is not read.
   *   <li>{@code SKIFF_TOKEN} alone: the file's server (and the file's way to verify it) with this
   *       token; refused without a file.
   *   <li>{@code SKIFF_SERVER} alone: the file's token, only if the file is for that same server;
   *       otherwise refused, so that the file's token is never sent to another server.
   *   <li>neither: the file, if there is one.
   * </ul>
   *
   * @param environment the environment variables
   * @param file the config file, which need not exist
   * @return empty when neither variable is set and there is no file
   * @throws SkiffException when the variables and the file do not make one server and its token, or
   *     the file is not a valid configuration
   */
  public static Optional<ClientConfig> resolve(Map<String, String> environment, Path file) {
    Optional<String> server = variable(environment, SERVER_VARIABLE);
    Optional<String> token = variable(environment, TOKEN_VARIABLE);
    server.ifPresent(s -> ServerAddresses.parse(s, SERVER_SOURCE));
    if (server.isPresent() && token.isPresent()) {
      // A Unix socket (a container's way to its control plane) is local: no TLS over it.
      ServerTrust trust =
          server.get().startsWith(SkiffClient.UNIX_PREFIX)
              ? ServerTrust.plaintext()
              : ServerTrust.fromEnvironment(environment);
      return Optional.of(
          new ClientConfig(server.get(), token.get(), trust, SERVER_SOURCE, TOKEN_SOURCE));
    }
    Optional<ClientConfig> fromFile = read(file, environment);
    if (server.isPresent()) {
      String named = server.get();
      ClientConfig c =
          fromFile.orElseThrow(
              () ->
                  new SkiffException(
                      "SKIFF_SERVER is set to '"
                          + named
                          + "' but SKIFF_TOKEN is not; set SKIFF_TOKEN to its token too (there is"
                          + " no "
                          + file
                          + " to take one from)"));
      if (!Set.copyOf(c.servers())
          .equals(Set.copyOf(ServerAddresses.parse(named, SERVER_SOURCE)))) {
        throw new SkiffException(
            "SKIFF_SERVER is set to '"
                + named
                + "' but SKIFF_TOKEN is not, and the token in "
                + file
                + " is for the server at "
                + c.server()
                + ", so it is not sent to another: set SKIFF_TOKEN to the token of "
                + named
                + ", or unset SKIFF_SERVER");
      }
      return Optional.of(
          new ClientConfig(named, c.token(), c.trust(), SERVER_SOURCE, c.tokenSource()));
    }
    if (token.isPresent()) {
      ClientConfig c =
          fromFile.orElseThrow(
              () ->
                  new SkiffException(
                      "SKIFF_TOKEN is set but no server is configured: set SKIFF_SERVER too, or"
                          + " start one with 'skiff server' (it writes "
                          + file
                          + ")"));
      return Optional.of(
          new ClientConfig(c.server(), token.get(), c.trust(), c.serverSource(), TOKEN_SOURCE));
    }
    return fromFile;
  }

  private static Optional<String> variable(Map<String, String> environment, String name) {
    String value = environment.get(name);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
  }

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
    return read(file, System.getenv());
  }

  private static Optional<ClientConfig> read(Path file, Map<String, String> environment) {
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
      ServerAddresses.parse(server, source);
      if (n.path("tls").isBoolean() && !n.path("tls").asBoolean()) {
        trust = new ServerTrust.Plaintext("\"tls\": false in " + source);
      } else if (n.path("certificate").isTextual() || n.path("certificates").isArray()) {
        List<String> pems = new ArrayList<>();
        if (n.path("certificate").isTextual()) {
          pems.add(n.path("certificate").asText());
        }
        for (JsonNode pem : n.path("certificates")) {
          if (!pem.isTextual()) {
            throw new SkiffException(
                "\"certificates\" in "
                    + file
                    + " must be a list of PEM certificates (strings), one per replica; found "
                    + pem);
          }
          pems.add(pem.asText());
        }
        trust = ServerTrust.pinned(pems, source);
      } else {
        trust = new ServerTrust.Authorities(Optional.empty(), "the system trust store");
      }
      return Optional.of(
          new ClientConfig(
              server, token, ServerTrust.withEnvironment(trust, environment), source, source));
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
      // Complete or not there at all, even after a crash of the machine: forced, then renamed.
      DurableFiles.write(
          temp,
          file,
          (JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n")
              .getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("could not write the Skiff client config " + file, e);
    }
  }

  /**
   * The addresses of {@link #server()}: one, or one per replica of a server given as {@code
   * host1:port,host2:port}.
   *
   * @throws SkiffException if the text is not a valid list of addresses
   */
  public List<String> servers() {
    return ServerAddresses.parse(server, serverSource);
  }

  /**
   * Whether something accepts TCP connections at {@link #server()} (at any of its addresses) within
   * a short time.
   */
  public boolean reachable() {
    for (String address : servers()) {
      int colon = address.lastIndexOf(':');
      if (colon <= 0) {
        continue;
      }
      try (Socket s = new Socket()) {
        s.connect(
            new InetSocketAddress(
                address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))),
            1000);
        return true;
      } catch (IOException | RuntimeException e) {
        // Try the next replica.
      }
    }
    return false;
  }
}
