package dev.skiff.server.store.jdbc;

import dev.skiff.server.store.DeploymentStore;
import dev.skiff.server.store.StoredApp;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * {@link DeploymentStore} in the {@code apps} table (and the {@code autoscaler_overrides} of
 * deployed functions), in SQL that SQLite and PostgreSQL share. Thread-safe.
 */
public final class JdbcDeployments implements DeploymentStore {
  private final GroupCommitWriter db;
  private final Fence fence;

  /**
   * A repository that writes through {@code db}, checking {@code fence} before every write (an
   * app's owner deploys and undeploys it).
   */
  public JdbcDeployments(GroupCommitWriter db, Fence fence) {
    this.db = db;
    this.fence = fence;
  }

  @Override
  public CompletableFuture<Void> save(StoredApp app) {
    return db.write(
        c -> {
          fence.check(c, app.name());
          try (PreparedStatement p =
              c.prepareStatement(
                  "INSERT INTO apps (name, version, deployed_at, definition) VALUES (?, ?, ?, ?)"
                      + " ON CONFLICT (name) DO UPDATE SET version=excluded.version,"
                      + " deployed_at=excluded.deployed_at, definition=excluded.definition")) {
            p.setString(1, app.name());
            p.setLong(2, app.version());
            p.setLong(3, app.deployedAt().toEpochMilli());
            p.setBytes(4, app.definition());
            p.executeUpdate();
          }
          try (PreparedStatement p =
              c.prepareStatement(
                  "DELETE FROM autoscaler_overrides WHERE app_name=? AND version<>?")) {
            p.setString(1, app.name());
            p.setLong(2, app.version());
            p.executeUpdate();
          }
        });
  }

  @Override
  public CompletableFuture<Void> delete(String name) {
    return db.write(
        c -> {
          fence.check(c, name);
          try (PreparedStatement p = c.prepareStatement("DELETE FROM apps WHERE name=?")) {
            p.setString(1, name);
            p.executeUpdate();
          }
          try (PreparedStatement p =
              c.prepareStatement("DELETE FROM autoscaler_overrides WHERE app_name=?")) {
            p.setString(1, name);
            p.executeUpdate();
          }
        });
  }

  @Override
  public CompletableFuture<Void> saveAutoscaler(
      String appName, long version, String function, byte[] settings) {
    return db.write(
        c -> {
          fence.check(c, appName);
          try (PreparedStatement p =
              c.prepareStatement(
                  "INSERT INTO autoscaler_overrides (app_name, version, function, settings)"
                      + " VALUES (?, ?, ?, ?) ON CONFLICT (app_name, function) DO UPDATE SET"
                      + " version=excluded.version, settings=excluded.settings")) {
            p.setString(1, appName);
            p.setLong(2, version);
            p.setString(3, function);
            p.setBytes(4, settings);
            p.executeUpdate();
          }
        });
  }

  @Override
  public Map<String, byte[]> autoscalers(String appName, long version) {
    return db.use(
        "read the autoscaler overrides of app '" + appName + "'",
        c -> {
          try (PreparedStatement p =
              c.prepareStatement(
                  "SELECT function, settings FROM autoscaler_overrides"
                      + " WHERE app_name=? AND version=?")) {
            p.setString(1, appName);
            p.setLong(2, version);
            try (ResultSet r = p.executeQuery()) {
              Map<String, byte[]> out = new TreeMap<>();
              while (r.next()) {
                out.put(r.getString(1), r.getBytes(2));
              }
              return out;
            }
          }
        });
  }

  @Override
  public List<StoredApp> all() {
    return db.use(
        "read the deployed apps",
        c -> {
          try (PreparedStatement p =
                  c.prepareStatement(
                      "SELECT name, version, deployed_at, definition FROM apps ORDER BY name");
              ResultSet r = p.executeQuery()) {
            List<StoredApp> out = new ArrayList<>();
            while (r.next()) {
              out.add(
                  new StoredApp(
                      r.getString(1),
                      r.getLong(2),
                      Instant.ofEpochMilli(r.getLong(3)),
                      r.getBytes(4)));
            }
            return out;
          }
        });
  }
}
