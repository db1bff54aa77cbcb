package dev.skiff.server.web;

import dev.skiff.server.auth.Principal;
import dev.skiff.server.auth.Tokens;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The gateway's jar endpoint, {@code GET /_skiff/jars/<sha256>}, from which a pod on another
 * machine fetches the stored jars of its app's classpath, and what its app's built images shipped
 * (their jars and the archives of their files), by content hash (the Kubernetes backend's {@code
 * PodBoot}). It answers only a container's token ({@code Authorization: Bearer}), and only with
 * files that container's app uses: 401 for no token, an unknown one, the client token or a web
 * token; 403 for a stored jar the app does not use; 404 for a path that names no jar or a jar not
 * stored; 405 for another method. What it decides is an {@link Answer}; the gateway sends it,
 * streaming a jar from its file.
 *
 * <p>The endpoint lives under {@value #RESERVED}, which the gateway checks before any app's route:
 * app names start with a letter or digit, so no app is served there, and no route can shadow it.
 * Thread-safe.
 */
public final class JarEndpoint {
  /** The prefix of the gateway's own paths, before every app's. */
  static final String RESERVED = "/_skiff/";

  /** Where jars are served: {@code PREFIX + sha256}. */
  static final String PREFIX = "/_skiff/jars/";

  /** The content type of a jar. */
  static final String CONTENT_TYPE = "application/java-archive";

  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final String BEARER = "Bearer ";

  /** The jars the endpoint may serve (the control plane's stored jars and its running apps). */
  public interface Jars {
    /**
     * The SHA-256s of the stored jars on the classpath of the app {@code appId}, and of what its
     * functions' built images shipped; empty when no such app runs here.
     */
    Optional<Set<String>> classpathOf(String appId);

    /** The file of the stored jar or shipped file {@code sha256}, which may not exist. */
    Path file(String sha256);
  }

  /** What the endpoint answers. */
  sealed interface Answer {
    /** A refusal with this status and message. */
    record Refused(int status, String message) implements Answer {}

    /** The jar in this file, of this size. */
    record Jar(Path file, long size) implements Answer {}
  }

  private final Tokens tokens;
  private volatile Optional<Jars> jars = Optional.empty();

  JarEndpoint(Tokens tokens) {
    this.tokens = Objects.requireNonNull(tokens, "tokens");
  }

  /** Serves the jars of {@code source}; until called, every jar is unknown (404). */
  void serve(Jars source) {
    this.jars = Optional.of(source);
  }

  /**
   * Answers a request for {@code rawPath} (under {@link #RESERVED}) with this method and {@code
   * Authorization} header (may be null).
   */
  Answer answer(String method, String rawPath, String authorization) {
    if (!rawPath.startsWith(PREFIX)) {
      return new Answer.Refused(
          404, "nothing at " + rawPath + "; the gateway serves jars at " + PREFIX + "<sha256>");
    }
    String sha = rawPath.substring(PREFIX.length());
    if (!method.equals("GET")) {
      return new Answer.Refused(405, PREFIX + "<sha256> takes GET requests, not " + method);
    }
    if (authorization == null || !authorization.startsWith(BEARER)) {
      return new Answer.Refused(
          401,
          "jars are served to containers only: send 'Authorization: Bearer <container token>'");
    }
    Optional<Principal> who = tokens.authenticate(authorization.substring(BEARER.length()).strip());
    if (!(who.orElse(null) instanceof Principal.Container c)) {
      return new Answer.Refused(
          401,
          "jars are served to containers only; the token sent is not a live container's token");
    }
    if (!SHA256.matcher(sha).matches()) {
      return new Answer.Refused(
          404, "'" + sha + "' is not a jar's SHA-256; allowed are 64 lower-case hex digits");
    }
    Optional<Jars> source = jars;
    if (source.isEmpty()) {
      return new Answer.Refused(
          404, "jar " + sha + " is not stored: this control plane keeps no jars");
    }
    Path file = source.get().file(sha);
    long size;
    try {
      size = Files.size(file);
    } catch (IOException e) {
      return new Answer.Refused(404, "jar " + sha + " is not stored here");
    }
    boolean onClasspath =
        source.get().classpathOf(c.appId()).map(s -> s.contains(sha)).orElse(false);
    if (!onClasspath) {
      return new Answer.Refused(
          403, "jar " + sha + " is not on the classpath of this container's app; it is not served");
    }
    return new Answer.Jar(file, size);
  }
}
