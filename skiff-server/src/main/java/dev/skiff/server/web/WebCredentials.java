package dev.skiff.server.web;

import dev.skiff.server.auth.Tokens;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Optional;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;

/**
 * What a web request may carry: never the client token (that would hand a function's caller the
 * whole API), and for endpoints that require auth a web token that {@link WebTokens} admits.
 * Thread-safe: immutable but for the web tokens, which are thread-safe themselves.
 */
final class WebCredentials {
  private final byte[] clientToken; // the token a request must never carry, as bytes
  private final WebTokens webTokens;

  WebCredentials(Tokens tokens, WebTokens webTokens) {
    this.clientToken = tokens.clientToken().getBytes(StandardCharsets.US_ASCII);
    this.webTokens = webTokens;
  }

  /** Whether the client token appears in the request's path, query or headers. */
  // Every part is scanned, so how long this takes does not tell where (or whether) the token is.
  @SuppressWarnings("ShortCircuitBoolean")
  boolean carriesClientToken(String rawPath, String rawQuery, HttpFields headers) {
    String query = rawQuery == null ? "" : rawQuery;
    boolean found =
        holdsClientToken(rawPath)
            | holdsClientToken(query)
            | holdsClientToken(WebGateway.decode(query));
    for (HttpField header : headers) {
      found |= holdsClientToken(header.getName()) | holdsClientToken(header.getValue());
    }
    return found;
  }

  private boolean holdsClientToken(String text) {
    return holdsClientToken(text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Whether {@code data} holds the client token as a word of its own: a run of exactly the token's
   * length of base64url characters, between other characters or the ends. Each such run is compared
   * in constant time, and which runs are compared depends on the request alone, so how long this
   * takes says nothing about the token.
   */
  boolean holdsClientToken(byte[] data) {
    boolean found = false;
    int start = 0;
    for (int i = 0; i <= data.length; i++) {
      if (i < data.length && isBase64Url(data[i])) {
        continue;
      }
      if (i - start == clientToken.length) {
        found |= MessageDigest.isEqual(clientToken, Arrays.copyOfRange(data, start, i));
      }
      start = i + 1;
    }
    return found;
  }

  private static boolean isBase64Url(byte b) {
    return (b >= 'A' && b <= 'Z')
        || (b >= 'a' && b <= 'z')
        || (b >= '0' && b <= '9')
        || b == '-'
        || b == '_';
  }

  /** Why the request's web token does not admit it (after "web endpoint /a/b "), if it does not. */
  Optional<String> checkWebToken(HttpFields headers) {
    String key = headers.get(WebTokens.KEY_HEADER);
    String secret = headers.get(WebTokens.SECRET_HEADER);
    if (key == null || secret == null) {
      return Optional.of(
          "requires auth: send a web token's key id and secret in the "
              + WebTokens.KEY_HEADER
              + " and "
              + WebTokens.SECRET_HEADER
              + " headers (create one with 'skiff token create')");
    }
    if (!webTokens.admits(key.strip(), secret.strip())) {
      return Optional.of(
          "refused the web token '"
              + key.strip()
              + "': no such key id, revoked,"
              + " or the wrong secret");
    }
    return Optional.empty();
  }

  /** The headers that carry a web token: read by the gateway, never forwarded to the function. */
  static boolean isWebTokenHeader(String name) {
    return name.equalsIgnoreCase(WebTokens.KEY_HEADER)
        || name.equalsIgnoreCase(WebTokens.SECRET_HEADER);
  }
}
