package dev.skiff.server.store.jdbc;

import com.google.protobuf.ByteString;
import dev.skiff.server.store.CallStore;
import dev.skiff.server.store.StoredCall;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * {@link CallStore} in the {@code calls} table, in SQL that SQLite and PostgreSQL share.
 * Thread-safe.
 */
public final class JdbcCalls implements CallStore {
  private static final byte[] NONE = new byte[0];

  private final GroupCommitWriter db;
  private final String insertionOrder;
  private final Fence fence;

  /**
   * A repository that writes through {@code db}.
   *
   * @param db the store's writer
   * @param insertionOrder the column that orders rows as they were inserted: SQLite's {@code
   *     rowid}, a generated column elsewhere
   * @param fence checked before a write for a deployed app's call (its owner writes it)
   */
  public JdbcCalls(GroupCommitWriter db, String insertionOrder, Fence fence) {
    this.db = db;
    this.insertionOrder = insertionOrder;
    this.fence = fence;
  }

  @Override
  public CompletableFuture<Void> add(StoredCall call) {
    return db.write(
        c -> {
          if (call.deployed()) {
            fence.check(c, call.appName());
          }
          try (PreparedStatement p =
              c.prepareStatement(
                  "INSERT INTO calls (id, app_name, deployed, function, definition, args,"
                      + " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            p.setString(1, call.id());
            p.setString(2, call.appName());
            p.setInt(3, call.deployed() ? 1 : 0);
            p.setString(4, call.function());
            p.setBytes(5, call.definition().toByteArray());
            p.setBytes(6, call.args().toByteArray());
            p.setLong(7, call.createdAt().toEpochMilli());
            p.executeUpdate();
          }
        });
  }

  @Override
  public CompletableFuture<Void> finish(String id, byte[] result, Instant at) {
    return db.write(
        c -> {
          // A deployed app's call is finished by its app's owner only: a replica that lost the app
          // is refused even if the new owner stored a result already.
          try (PreparedStatement q =
              c.prepareStatement(
                  "SELECT app_name, deployed, result IS NULL FROM calls WHERE id=?")) {
            q.setString(1, id);
            try (ResultSet r = q.executeQuery()) {
              if (!r.next()) {
                return; // not stored
              }
              if (r.getInt(2) != 0) {
                fence.check(c, r.getString(1));
              }
              if (!r.getBoolean(3)) {
                return; // finished already: the first result wins
              }
            }
          }
          try (PreparedStatement p =
              c.prepareStatement(
                  "UPDATE calls SET result=?, finished_at=?, args=? WHERE id=? AND result IS NULL")) {
            p.setBytes(1, result);
            p.setLong(2, at.toEpochMilli());
            p.setBytes(3, NONE);
            p.setString(4, id);
            p.executeUpdate();
          }
        });
  }

  @Override
  public Optional<StoredCall> find(String id) {
    List<StoredCall> found = select("WHERE id=?", id);
    return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
  }

  @Override
  public List<StoredCall> unfinished() {
    return select("WHERE result IS NULL ORDER BY created_at, " + insertionOrder);
  }

  private List<StoredCall> select(String where, String... params) {
    return db.use(
        "read function calls",
        c -> {
          try (PreparedStatement p =
              c.prepareStatement(
                  "SELECT id, app_name, deployed, function, definition, args, created_at, result,"
                      + " finished_at FROM calls "
                      + where)) {
            for (int i = 0; i < params.length; i++) {
              p.setString(i + 1, params[i]);
            }
            try (ResultSet r = p.executeQuery()) {
              List<StoredCall> out = new ArrayList<>();
              while (r.next()) {
                long finished = r.getLong(9);
                boolean hasFinished = !r.wasNull();
                out.add(
                    new StoredCall(
                        r.getString(1),
                        r.getString(2),
                        r.getInt(3) != 0,
                        r.getString(4),
                        ByteString.copyFrom(r.getBytes(5)),
                        ByteString.copyFrom(r.getBytes(6)),
                        Instant.ofEpochMilli(r.getLong(7)),
                        Optional.ofNullable(r.getBytes(8)),
                        hasFinished
                            ? Optional.of(Instant.ofEpochMilli(finished))
                            : Optional.empty()));
              }
              return out;
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
                      "DELETE FROM calls WHERE finished_at IS NOT NULL AND finished_at < ?")) {
                p.setLong(1, before.toEpochMilli());
                deleted[0] = p.executeUpdate();
              }
            })
        .join();
    return deleted[0];
  }
}
