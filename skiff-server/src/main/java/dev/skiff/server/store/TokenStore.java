package dev.skiff.server.store;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** The server's API token and its web tokens. Thread-safe. */
public interface TokenStore {
  /**
   * The API token: 32 random bytes in hex, created and stored on first use, the same ever after.
   */
  String apiToken();

  /**
   * Adds a web token (its secret's digest, never the secret). Completes once durable; completes
   * exceptionally if a token with the same key id is stored already.
   */
  CompletableFuture<Void> addWebToken(StoredWebToken token);

  /** Forgets the web token with this key id, if there is one. Completes once durable. */
  CompletableFuture<Void> deleteWebToken(String keyId);

  /** Every web token, oldest first (tokens created at the same instant by key id). */
  List<StoredWebToken> webTokens();
}
