package dev.skiff.server.store.jdbc;

import dev.skiff.server.store.LogStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * {@link LogStore} in the {@code logs} table, ordered by its generated key {@code seq}, in SQL that
 * SQLite and PostgreSQL share. Thread-safe.
 */
public final class JdbcLogs implements LogStore {
  private final GroupCommitWriter db;

  /** A repository that writes through {@code db}. */
  public JdbcLogs(GroupCommitWriter db) {
    this.db = db;
  }

  @Override
  public CompletableFuture<Boolean> append(String appName, String containerId, byte[] line) {
    return db.writeInBackground(
        c -> {
          try (PreparedStatement p =
              c.prepareStatement(
                  "INSERT INTO logs (app_name, container_id, line) VALUES (?, ?, ?)")) {
            p.setString(1, appName);
            p.setString(2, containerId);
            p.setBytes(3, line);
            p.executeUpdate();
          }
        });
  }

  @Override
  public CompletableFuture<Boolean> prune(String appName, int keep) {
    return db.writeInBackground(
        c -> {
          try (PreparedStatement p =
              c.prepareStatement(
                  "DELETE FROM logs WHERE app_name=? AND seq <= (SELECT seq FROM logs WHERE"
                      + " app_name=? ORDER BY seq DESC LIMIT 1 OFFSET ?)")) {
            p.setString(1, appName);
            p.setString(2, appName);
            p.setInt(3, keep);
            p.executeUpdate();
          }
        });
  }

  @Override
  public List<byte[]> newest(String appName, int limit) {
    return db.use(
        "read the logs of app '" + appName + "'",
        c -> {
          try (PreparedStatement p =
              c.prepareStatement(
                  "SELECT line FROM (SELECT seq, line FROM logs WHERE app_name=?"
                      + " ORDER BY seq DESC LIMIT ?) AS newest ORDER BY seq")) {
            p.setString(1, appName);
            p.setInt(2, limit);
            try (ResultSet r = p.executeQuery()) {
              List<byte[]> out = new ArrayList<>();
              while (r.next()) {
                out.add(r.getBytes(1));
              }
              return out;
            }
          }
        });
  }

  @Override
  public Optional<String> appOfContainer(String containerId) {
    return db.use(
        "find the app of container '" + containerId + "'",
        c -> {
          try (PreparedStatement p =
              c.prepareStatement("SELECT app_name FROM logs WHERE container_id=? LIMIT 1")) {
            p.setString(1, containerId);
            try (ResultSet r = p.executeQuery()) {
              return r.next() ? Optional.of(r.getString(1)) : Optional.empty();
            }
          }
        });
  }
}
