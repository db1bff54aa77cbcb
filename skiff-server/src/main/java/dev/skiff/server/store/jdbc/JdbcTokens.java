package dev.skiff.server.store.jdbc;

import dev.skiff.server.store.StoredWebToken;
import dev.skiff.server.store.TokenStore;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * {@link TokenStore} in the {@code meta} (the API token, key {@code token}) and {@code web_tokens}
 * tables, in SQL that SQLite and PostgreSQL share. Thread-safe.
 */
public final class JdbcTokens implements TokenStore {
  private final GroupCommitWriter db;

  /** A repository that writes through {@code db}. */
  public JdbcTokens(GroupCommitWriter db) {
    this.db = db;
  }

  @Override
  public String apiToken() {
    Optional<String> stored = storedApiToken();
    if (stored.isPresent()) {
      return stored.get();
    }
    // Two callers (or two servers on one database) may both get here: the first insert wins, and
    // both read back the one that won.
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    String token = HexFormat.of().formatHex(bytes);
    db.write(
            c -> {
              try (PreparedStatement p =
                  c.prepareStatement(
                      "INSERT INTO meta (key, value) VALUES ('token', ?)"
                          + " ON CONFLICT (key) DO NOTHING")) {
                p.setString(1, token);
                p.executeUpdate();
              }
            })
        .join();
    return storedApiToken().orElseThrow();
  }

  private Optional<String> storedApiToken() {
    return db.use(
        "read the API token",
        c -> {
          try (PreparedStatement p =
                  c.prepareStatement("SELECT value FROM meta WHERE key='token'");
              ResultSet r = p.executeQuery()) {
            return r.next() ? Optional.of(r.getString(1)) : Optional.empty();
          }
        });
  }

  @Override
  public CompletableFuture<Void> addWebToken(StoredWebToken token) {
    return db.write(
        c -> {
          try (PreparedStatement p =
              c.prepareStatement(
                  "INSERT INTO web_tokens (key_id, name, created_at, secret_sha256)"
                      + " VALUES (?, ?, ?, ?)")) {
            p.setString(1, token.keyId());
            p.setString(2, token.name());
            p.setLong(3, token.createdAt().toEpochMilli());
            p.setBytes(4, token.secretSha256());
            p.executeUpdate();
          }
        });
  }

  @Override
  public CompletableFuture<Void> deleteWebToken(String keyId) {
    return db.write(
        c -> {
          try (PreparedStatement p = c.prepareStatement("DELETE FROM web_tokens WHERE key_id=?")) {
            p.setString(1, keyId);
            p.executeUpdate();
          }
        });
  }

  @Override
  public List<StoredWebToken> webTokens() {
    return db.use(
        "read the web tokens",
        c -> {
          try (PreparedStatement p =
                  c.prepareStatement(
                      "SELECT key_id, name, created_at, secret_sha256 FROM web_tokens"
                          + " ORDER BY created_at, key_id");
              ResultSet r = p.executeQuery()) {
            List<StoredWebToken> out = new ArrayList<>();
            while (r.next()) {
              out.add(
                  new StoredWebToken(
                      r.getString(1),
                      r.getString(2),
                      Instant.ofEpochMilli(r.getLong(3)),
                      r.getBytes(4)));
            }
            return out;
          }
        });
  }
}
