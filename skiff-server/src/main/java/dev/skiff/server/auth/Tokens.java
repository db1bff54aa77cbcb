package dev.skiff.server.auth;

import dev.skiff.server.common.RandomIds;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The bearer tokens that a control plane accepts: one client token for its lifetime and one token
 * per live container. Thread-safe.
 */
public final class Tokens {
  private final String clientToken;
  private final byte[] clientTokenBytes;
  private final ConcurrentHashMap<String, Principal.Container> containerTokens =
      new ConcurrentHashMap<>();

  public Tokens(String clientToken) {
    this.clientToken = clientToken;
    this.clientTokenBytes = clientToken.getBytes(StandardCharsets.US_ASCII);
  }

  /** Tokens with a new random client token. */
  public static Tokens random() {
    return new Tokens(RandomIds.token());
  }

  /** The token that clients present. */
  public String clientToken() {
    return clientToken;
  }

  /** Who holds {@code token}, if anyone. */
  public Optional<Principal> authenticate(String token) {
    if (MessageDigest.isEqual(clientTokenBytes, token.getBytes(StandardCharsets.US_ASCII))) {
      return Optional.of(new Principal.Client());
    }
    return Optional.ofNullable(containerTokens.get(token));
  }

  /** Creates the token of a new container. */
  public String issue(String containerId, String appId) {
    String token = RandomIds.token();
    containerTokens.put(token, new Principal.Container(containerId, appId));
    return token;
  }

  /** Scopes a warm container's token to the app that took it. */
  public void rebind(String token, String containerId, String appId) {
    containerTokens.replace(token, new Principal.Container(containerId, appId));
  }

  /** Makes a container's token worthless (its container has ended). */
  public void revoke(String token) {
    containerTokens.remove(token);
  }
}
