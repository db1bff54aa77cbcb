package dev.skiff;

import java.util.Map;
import java.util.Objects;

/**
 * A credential for web endpoints that require auth ({@link
 * WebEndpointOptions.Builder#requiresAuth()}): send {@link #keyId()} in the {@code Skiff-Key}
 * header and {@link #secret()} in the {@code Skiff-Secret} header. A web token can call web
 * endpoints and nothing else; the web gateway reads both headers and never passes them on to the
 * function.
 *
 * <p>Made by {@link AppRun#createWebToken(String)} or {@code skiff token create}; the control plane
 * keeps only a hash of the secret, so this value is the only place it exists. {@link #toString()}
 * leaves the secret out.
 *
 * @param keyId the token's public id, {@code wk-...}
 * @param secret the token's secret, {@code ws-...}
 */
public record WebToken(String keyId, String secret) {
  /** The request header that carries the key id. */
  public static final String KEY_HEADER = "Skiff-Key";

  /** The request header that carries the secret. */
  public static final String SECRET_HEADER = "Skiff-Secret";

  /**
   * Checks the parts.
   *
   * @throws NullPointerException if either is null
   */
  public WebToken {
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(secret, "secret");
  }

  /** The two headers to send with a request: {@code Skiff-Key} and {@code Skiff-Secret}. */
  public Map<String, String> headers() {
    return Map.of(KEY_HEADER, keyId, SECRET_HEADER, secret);
  }

  /** The key id only: the secret is not for logs. */
  @Override
  public String toString() {
    return "WebToken[keyId=" + keyId + ", secret=(hidden)]";
  }
}
