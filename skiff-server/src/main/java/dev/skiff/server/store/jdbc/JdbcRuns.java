package dev.skiff.server.store.jdbc;

import dev.skiff.server.store.RunStore;
import dev.skiff.server.store.StoredRun;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * {@link RunStore} in the {@code runs} table, in SQL that SQLite and PostgreSQL share. Thread-safe.
 */
public final class JdbcRuns implements RunStore {
  private final GroupCommitWriter db;
  private final String insertionOrder;
  private final Fence fence;

  /**
   * A repository that writes through {@code db}.
   *
   * @param db the store's writer
   * @param insertionOrder the column that orders rows as they were inserted: SQLite's {@code
   *     rowid}, a generated column elsewhere
   * @param fence checked before every write of a run (its app's owner writes it)
   */
  public JdbcRuns(GroupCommitWriter db, String insertionOrder, Fence fence) {
    this.db = db;
    this.insertionOrder = insertionOrder;
    this.fence = fence;
  }

  @Override
  public CompletableFuture<Void> add(StoredRun run) {
    return db.write(
        c -> {
          fence.check(c, run.appName());
          try (PreparedStatement p =
              c.prepareStatement(
                  "INSERT INTO runs (id, app_name, function, scheduled_at, started_at)"
                      + " VALUES (?, ?, ?, ?, ?)")) {
            p.setString(1, run.id());
            p.setString(2, run.appName());
            p.setString(3, run.function());
            p.setLong(4, run.scheduledAt().toEpochMilli());
            p.setLong(5, run.startedAt().toEpochMilli());
            p.executeUpdate();
          }
        });
  }

  @Override
  public CompletableFuture<Void> finish(String id, Instant at, byte[] result) {
    return db.write(
        c -> {
          try (PreparedStatement q = c.prepareStatement("SELECT app_name FROM runs WHERE id=?")) {
            q.setString(1, id);
            try (ResultSet r = q.executeQuery()) {
              if (!r.next()) {
                return; // not stored
              }
              fence.check(c, r.getString(1));
            }
          }
          try (PreparedStatement p =
              c.prepareStatement("UPDATE runs SET finished_at=?, result=? WHERE id=?")) {
            p.setLong(1, at.toEpochMilli());
            p.setBytes(2, result);
            p.setString(3, id);
            p.executeUpdate();
          }
        });
  }

  @Override
  public int finishUnfinished(Instant at, byte[] result) {
    int[] ended = {0};
    db.write(
            c -> {
              try (PreparedStatement p =
                  c.prepareStatement(
                      "UPDATE runs SET finished_at=?, result=? WHERE finished_at IS NULL")) {
                p.setLong(1, at.toEpochMilli());
                p.setBytes(2, result);
                ended[0] = p.executeUpdate();
              }
            })
        .join();
    return ended[0];
  }

  @Override
  public int finishUnfinished(String appName, Instant at, byte[] result) {
    int[] ended = {0};
    db.write(
            c -> {
              fence.check(c, appName);
              try (PreparedStatement p =
                  c.prepareStatement(
                      "UPDATE runs SET finished_at=?, result=? WHERE app_name=? AND finished_at IS"
                          + " NULL")) {
                p.setLong(1, at.toEpochMilli());
                p.setBytes(2, result);
                p.setString(3, appName);
                ended[0] = p.executeUpdate();
              }
            })
        .join();
    return ended[0];
  }

  @Override
  public List<StoredRun> latest(String appName, int limit) {
    return db.use(
        "read the runs of app '" + appName + "'",
        c -> {
          try (PreparedStatement p =
              c.prepareStatement(
                  "SELECT id, app_name, function, scheduled_at, started_at, finished_at, result"
                      + " FROM (SELECT "
                      + insertionOrder
                      + " AS seq, id, app_name, function, scheduled_at, started_at, finished_at,"
                      + " result FROM runs WHERE app_name=? ORDER BY started_at DESC, seq DESC"
                      + " LIMIT ?) AS newest ORDER BY started_at, seq")) {
            p.setString(1, appName);
            p.setInt(2, limit);
            try (ResultSet r = p.executeQuery()) {
              List<StoredRun> out = new ArrayList<>();
              while (r.next()) {
                long finished = r.getLong(6);
                boolean hasFinished = !r.wasNull();
                out.add(
                    new StoredRun(
                        r.getString(1),
                        r.getString(2),
                        r.getString(3),
                        Instant.ofEpochMilli(r.getLong(4)),
                        Instant.ofEpochMilli(r.getLong(5)),
                        hasFinished
                            ? Optional.of(Instant.ofEpochMilli(finished))
                            : Optional.empty(),
                        Optional.ofNullable(r.getBytes(7))));
              }
              return out;
            }
          }
        });
  }

  @Override
  public Optional<Instant> lastTick(String appName, String function) {
    return db.use(
        "read the last run of '" + function + "'",
        c -> {
          try (PreparedStatement p =
              c.prepareStatement(
                  "SELECT MAX(scheduled_at) FROM runs WHERE app_name=? AND function=?")) {
            p.setString(1, appName);
            p.setString(2, function);
            try (ResultSet r = p.executeQuery()) {
              if (r.next()) {
                long v = r.getLong(1);
                return r.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(v));
              }
              return Optional.empty();
            }
          }
        });
  }

  @Override
  public int sweep(Instant before) {
    int[] deleted = {0};
    db.write(
            c -> {
              try (PreparedStatement p =
                  c.prepareStatement(
                      "DELETE FROM runs WHERE finished_at IS NOT NULL AND started_at < ?")) {
                p.setLong(1, before.toEpochMilli());
                deleted[0] = p.executeUpdate();
              }
            })
        .join();
    return deleted[0];
  }
}
