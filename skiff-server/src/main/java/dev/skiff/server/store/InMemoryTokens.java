package dev.skiff.server.store;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** {@link TokenStore} in memory. Thread-safe. */
final class InMemoryTokens implements TokenStore {
  // Guards every field below.
  private final Object lock = new Object();
  private final Map<String, StoredWebToken> webTokens = new HashMap<>();
  private String apiToken; // null until first asked for
  private boolean closed;

  @Override
  public String apiToken() {
    synchronized (lock) {
      if (apiToken == null) {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        apiToken = HexFormat.of().formatHex(bytes);
      }
      return apiToken;
    }
  }

  @Override
  public CompletableFuture<Void> addWebToken(StoredWebToken token) {
    synchronized (lock) {
      if (closed) {
        return CompletableFuture.completedFuture(null);
      }
      if (webTokens.containsKey(token.keyId())) {
        return CompletableFuture.failedFuture(
            new IllegalStateException(
                "a web token with key id '" + token.keyId() + "' is stored already"));
      }
      webTokens.put(token.keyId(), token);
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> deleteWebToken(String keyId) {
    synchronized (lock) {
      webTokens.remove(keyId);
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public List<StoredWebToken> webTokens() {
    List<StoredWebToken> out;
    synchronized (lock) {
      out = new ArrayList<>(webTokens.values());
    }
    out.sort(Comparator.comparing(StoredWebToken::createdAt).thenComparing(StoredWebToken::keyId));
    return out;
  }

  void close() {
    synchronized (lock) {
      closed = true;
      webTokens.clear();
    }
  }
}
