package dev.skiff.server.store.postgres;

import dev.skiff.server.store.LeaseStore;
import dev.skiff.server.store.jdbc.Fence;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * {@link LeaseStore} in the {@code replicas} and {@code app_owners} tables. Every operation is one
 * short transaction on a pooled connection of its own, never behind the store's queued writes: a
 * lease must be renewed on time however busy the store is. Times are the database's ({@link #NOW}),
 * epochs come from the {@code app_owner_epochs} sequence. Thread-safe.
 */
final class PostgresLeases implements LeaseStore {
  /** The database's clock in epoch milliseconds: the one clock that every replica shares. */
  static final String NOW = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";

  private interface Work<T> {
    T apply(Connection c) throws SQLException;
  }

  private final DataSource pool;
  private final Consumer<Fence> fences;

  /** Leases in the database of {@code pool}; {@code fences} installs the fence of a replica. */
  PostgresLeases(DataSource pool, Consumer<Fence> fences) {
    this.pool = pool;
    this.fences = fences;
  }

  @Override
  public void fenceWritesBy(Function<String, OptionalLong> held) {
    fences.accept(fence(held));
  }

  private <T> T tx(String what, Work<T> work) {
    try (Connection c = pool.getConnection()) {
      try {
        T out = work.apply(c);
        c.commit();
        return out;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new UncheckedIOException(
          "could not " + what + " in the Skiff store: " + e.getMessage(),
          new IOException(e.getMessage(), e));
    }
  }

  @Override
  public void heartbeat(Replica r) {
    tx(
        "record the heartbeat of replica " + r.id(),
        c -> {
          try (PreparedStatement p =
              c.prepareStatement(
                  "INSERT INTO replicas (id, address, web_address, certificate, started_at,"
                      + " heartbeat_at) VALUES (?, ?, ?, ?, ?, "
                      + NOW
                      + ") ON CONFLICT (id) DO UPDATE SET address=excluded.address,"
                      + " web_address=excluded.web_address, certificate=excluded.certificate,"
                      + " heartbeat_at=excluded.heartbeat_at")) {
            p.setString(1, r.id());
            p.setString(2, r.address());
            p.setString(3, r.webAddress());
            p.setString(4, r.certificate().orElse(null));
            p.setLong(5, r.startedAtMs());
            return p.executeUpdate();
          }
        });
  }

  @Override
  public void removeReplica(String id) {
    tx(
        "remove replica " + id,
        c -> {
          try (PreparedStatement p = c.prepareStatement("DELETE FROM replicas WHERE id=?")) {
            p.setString(1, id);
            return p.executeUpdate();
          }
        });
  }

  @Override
  public List<Replica> replicas() {
    return tx(
        "read the replicas",
        c -> {
          try (PreparedStatement p =
                  c.prepareStatement(
                      "SELECT id, address, web_address, certificate, started_at, "
                          + NOW
                          + " - heartbeat_at FROM replicas ORDER BY id");
              ResultSet r = p.executeQuery()) {
            List<Replica> out = new ArrayList<>();
            while (r.next()) {
              out.add(
                  new Replica(
                      r.getString(1),
                      r.getString(2),
                      r.getString(3),
                      Optional.ofNullable(r.getString(4)),
                      r.getLong(5),
                      r.getLong(6)));
            }
            return out;
          }
        });
  }

  @Override
  public List<Lease> leases() {
    return select("", null);
  }

  @Override
  public Optional<Lease> lease(String app) {
    List<Lease> found = select(" WHERE app=?", app);
    return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
  }

  private List<Lease> select(String where, String app) {
    return tx(
        "read the leases of apps",
        c -> {
          try (PreparedStatement p =
              c.prepareStatement(
                  "SELECT app, owner, epoch, expires_at - "
                      + NOW
                      + ", "
                      + NOW
                      + " - acquired_at, reason, app_id FROM app_owners"
                      + where
                      + " ORDER BY app")) {
            if (app != null) {
              p.setString(1, app);
            }
            try (ResultSet r = p.executeQuery()) {
              List<Lease> out = new ArrayList<>();
              while (r.next()) {
                out.add(
                    new Lease(
                        r.getString(1),
                        Optional.ofNullable(r.getString(2)),
                        r.getLong(3),
                        r.getLong(4),
                        r.getLong(5),
                        Optional.ofNullable(r.getString(6)).orElse(""),
                        Optional.ofNullable(r.getString(7))));
              }
              return out;
            }
          }
        });
  }

  @Override
  public OptionalLong claim(String app, String replica, Duration length, String reason) {
    return tx(
        "take the lease of app '" + app + "'",
        c -> {
          try (PreparedStatement p =
              c.prepareStatement(
                  "INSERT INTO app_owners (app, owner, epoch, expires_at, acquired_at, reason)"
                      + " VALUES (?, ?, nextval('app_owner_epochs'), "
                      + NOW
                      + " + ?, "
                      + NOW
                      + ", ?) ON CONFLICT (app) DO UPDATE SET owner=excluded.owner,"
                      + " epoch=excluded.epoch, expires_at=excluded.expires_at,"
                      + " acquired_at=excluded.acquired_at, reason=excluded.reason, app_id=NULL"
                      + " WHERE app_owners.expires_at < "
                      + NOW
                      + " RETURNING epoch")) {
            p.setString(1, app);
            p.setString(2, replica);
            p.setLong(3, length.toMillis());
            p.setString(4, reason);
            try (ResultSet r = p.executeQuery()) {
              return r.next() ? OptionalLong.of(r.getLong(1)) : OptionalLong.empty();
            }
          }
        });
  }

  @Override
  public Set<Long> renew(String replica, Set<Long> epochs, Duration length) {
    if (epochs.isEmpty()) {
      return Set.of();
    }
    return tx(
        "renew the leases of replica " + replica,
        c -> {
          try (PreparedStatement p =
              c.prepareStatement(
                  "UPDATE app_owners SET expires_at = "
                      + NOW
                      + " + ? WHERE owner=? AND epoch = ANY (?) RETURNING epoch")) {
            p.setLong(1, length.toMillis());
            p.setString(2, replica);
            Array array = c.createArrayOf("bigint", epochs.toArray(Long[]::new));
            p.setArray(3, array);
            try (ResultSet r = p.executeQuery()) {
              Set<Long> held = new HashSet<>();
              while (r.next()) {
                held.add(r.getLong(1));
              }
              return held;
            }
          }
        });
  }

  @Override
  public void running(String app, long epoch, String appId) {
    tx(
        "record the app id of app '" + app + "'",
        c -> {
          try (PreparedStatement p =
              c.prepareStatement("UPDATE app_owners SET app_id=? WHERE app=? AND epoch=?")) {
            p.setString(1, appId);
            p.setString(2, app);
            p.setLong(3, epoch);
            return p.executeUpdate();
          }
        });
  }

  @Override
  public Map<String, Long> adopt(String replica, Duration length) {
    return tx(
        "take back the leases of replica " + replica,
        c -> {
          try (PreparedStatement d =
                  c.prepareStatement("DELETE FROM app_owners WHERE owner=? AND app LIKE '#%'");
              PreparedStatement u =
                  c.prepareStatement(
                      "UPDATE app_owners SET epoch=nextval('app_owner_epochs'), expires_at="
                          + NOW
                          + " + ?, acquired_at="
                          + NOW
                          + ", reason=?, app_id=NULL WHERE owner=? AND expires_at >= "
                          + NOW
                          + " RETURNING app, epoch")) {
            d.setString(1, replica);
            d.executeUpdate();
            u.setLong(1, length.toMillis());
            u.setString(2, "this replica restarted");
            u.setString(3, replica);
            Map<String, Long> out = new HashMap<>();
            try (ResultSet r = u.executeQuery()) {
              while (r.next()) {
                out.put(r.getString(1), r.getLong(2));
              }
            }
            return out;
          }
        });
  }

  @Override
  public void release(String app, long epoch) {
    update(
        "release the lease of app '" + app + "'",
        "UPDATE app_owners SET expires_at=0, reason='released' WHERE app=? AND epoch=?",
        app,
        epoch);
  }

  @Override
  public void releaseAll(String replica) {
    tx(
        "release the leases of replica " + replica,
        c -> {
          try (PreparedStatement d =
                  c.prepareStatement("DELETE FROM app_owners WHERE owner=? AND app LIKE '#%'");
              PreparedStatement u =
                  c.prepareStatement(
                      "UPDATE app_owners SET expires_at=0, reason='released' WHERE owner=?")) {
            d.setString(1, replica);
            d.executeUpdate();
            u.setString(1, replica);
            return u.executeUpdate();
          }
        });
  }

  @Override
  public void delete(String app, long epoch) {
    update(
        "forget the lease of app '" + app + "'",
        "DELETE FROM app_owners WHERE app=? AND epoch=?",
        app,
        epoch);
  }

  @Override
  public int deleteLapsedEphemeral() {
    return tx(
        "forget the leases of ephemeral apps whose replica died",
        c -> {
          try (PreparedStatement p =
              c.prepareStatement(
                  "DELETE FROM app_owners WHERE app LIKE '#%' AND expires_at < " + NOW)) {
            return p.executeUpdate();
          }
        });
  }

  private void update(String what, String sql, String app, long epoch) {
    tx(
        what,
        c -> {
          try (PreparedStatement p = c.prepareStatement(sql)) {
            p.setString(1, app);
            p.setLong(2, epoch);
            return p.executeUpdate();
          }
        });
  }

  /**
   * The fence of a replica: a write for an app goes on only while the app's lease carries the epoch
   * that {@code held} gives for it, and holds the lease's row (shared) until it commits.
   */
  static Fence fence(Function<String, OptionalLong> held) {
    return (c, app) -> {
      OptionalLong mine = held.apply(app);
      if (mine.isEmpty()) {
        throw new Fence.FencedException(app, "this replica does not hold its lease");
      }
      try (PreparedStatement p =
          c.prepareStatement("SELECT epoch FROM app_owners WHERE app=? FOR SHARE")) {
        p.setString(1, app);
        try (ResultSet r = p.executeQuery()) {
          if (!r.next()) {
            throw new Fence.FencedException(app, "its lease is gone");
          }
          long epoch = r.getLong(1);
          if (epoch != mine.getAsLong()) {
            throw new Fence.FencedException(
                app, "its lease moved on to epoch " + epoch + ", this replica held " + mine);
          }
        }
      }
    };
  }
}
