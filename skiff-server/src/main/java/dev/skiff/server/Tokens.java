package dev.skiff.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The bearer tokens that a control plane accepts: one client token for its lifetime and one token
 * per live container. Thread-safe.
 */
final class Tokens {
  private final String clientToken;
  private final byte[] clientTokenBytes;
  private final ConcurrentHashMap<String, Principal.Container> containerTokens =
      new ConcurrentHashMap<>();

  Tokens(String clientToken) {
    this.clientToken = clientToken;
    this.clientTokenBytes = clientToken.getBytes(StandardCharsets.US_ASCII);
  }

  /** Tokens with a new random client token. */
  static Tokens random() {
    return new Tokens(RandomIds.token());
  }

  /** The token that clients present. */
  String clientToken() {
    return clientToken;
  }

  /** Who holds {@code token}, if anyone. */
  Optional<Principal> authenticate(String token) {
    if (MessageDigest.isEqual(clientTokenBytes, token.getBytes(StandardCharsets.US_ASCII))) {
      return Optional.of(new Principal.Client());
    }
    return Optional.ofNullable(containerTokens.get(token));
  }

  /** Creates the token of a new container. */
  String issue(String containerId, String appId) {
    String token = RandomIds.token();
    containerTokens.put(token, new Principal.Container(containerId, appId));
    return token;
  }

  /** Scopes a warm container's token to the app that took it. */
  void rebind(String token, String containerId, String appId) {
    containerTokens.replace(token, new Principal.Container(containerId, appId));
  }

  /** Makes a container's token worthless (its container has ended). */
  void revoke(String token) {
    containerTokens.remove(token);
  }
}
