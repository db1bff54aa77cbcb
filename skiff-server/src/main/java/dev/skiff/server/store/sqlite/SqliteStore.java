package dev.skiff.server.store.sqlite;

import dev.skiff.server.store.jdbc.GroupCommitWriter;
import dev.skiff.server.store.jdbc.JdbcStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The server's store: one SQLite database file in WAL mode, with {@code synchronous=FULL} so that a
 * committed write survives a crash of the machine.
 *
 * <p>Writes go through a {@link GroupCommitWriter} (one writer thread, group commits); reads run on
 * the caller's thread. Log lines are background writes: a bounded queue of their own, committed
 * only while no other write waits, and dropped when it is full, so that a flood of output never
 * delays a durable spawn or a schedule's record.
 *
 * <p><b>Schema.</b> Versioned with SQLite's {@code user_version}: {@link #MIGRATIONS} takes a store
 * from each version to the next, each step in one transaction with its new version, so that a crash
 * leaves a version whole or not begun. A store from before versions were kept (version 0) is
 * upgraded through the same steps; one written by a newer Skiff is refused and left as it is.
 *
 * <p>{@link #close()} lets queued writes commit, then closes the file. Thread-safe.
 */
public final class SqliteStore extends JdbcStore {
  private SqliteStore(Connection connection) {
    super(new GroupCommitWriter(connection, "Skiff store"), "rowid");
  }

  /**
   * Opens (creating if needed) the store in {@code file}, upgrading its schema to {@link
   * #SCHEMA_VERSION}.
   *
   * @throws UncheckedIOException if the file cannot be opened or its schema created or upgraded, or
   *     it was written by a newer Skiff (whose schema this code does not know)
   */
  public static SqliteStore open(Path file) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
      try {
        try (Statement s = c.createStatement()) {
          s.execute("PRAGMA journal_mode=WAL");
          s.execute("PRAGMA synchronous=FULL");
          s.execute("PRAGMA busy_timeout=5000");
        }
        c.setAutoCommit(false);
        migrate(c, file);
        return new SqliteStore(c);
      } catch (SQLException | RuntimeException e) {
        c.close();
        throw e;
      }
    } catch (SQLException e) {
      throw new UncheckedIOException(
          new IOException("could not open the Skiff store " + file + ": " + e.getMessage(), e));
    } catch (IOException e) {
      throw new UncheckedIOException("could not create the directory of the store " + file, e);
    }
  }

  // ------------------------------------------------------------------------- schema

  /**
   * The schema, one migration per version: migration {@code i} takes a store from version {@code i}
   * to {@code i + 1}. A store's version is SQLite's {@code user_version}; stores made before it was
   * kept have version 0 and tables that the first migrations create only if missing, so they are
   * upgraded through the same steps. Append only: a released migration never changes.
   */
  private static final List<List<String>> MIGRATIONS =
      List.of(
          List.of(
              "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
              "CREATE TABLE IF NOT EXISTS apps (name TEXT PRIMARY KEY, version INTEGER NOT NULL,"
                  + " deployed_at INTEGER NOT NULL, definition BLOB NOT NULL)",
              "CREATE TABLE IF NOT EXISTS calls (id TEXT PRIMARY KEY, app_name TEXT NOT NULL,"
                  + " deployed INTEGER NOT NULL, function TEXT NOT NULL, definition BLOB NOT NULL,"
                  + " args BLOB NOT NULL, created_at INTEGER NOT NULL, finished_at INTEGER,"
                  + " result BLOB)",
              "CREATE INDEX IF NOT EXISTS calls_unfinished ON calls (finished_at)",
              "CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, app_name TEXT NOT NULL,"
                  + " function TEXT NOT NULL, scheduled_at INTEGER NOT NULL,"
                  + " started_at INTEGER NOT NULL, finished_at INTEGER, result BLOB)",
              "CREATE INDEX IF NOT EXISTS runs_by_app ON runs (app_name, started_at)",
              "CREATE TABLE IF NOT EXISTS logs (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                  + " app_name TEXT NOT NULL, container_id TEXT NOT NULL, line BLOB NOT NULL)",
              "CREATE INDEX IF NOT EXISTS logs_by_app ON logs (app_name, seq)",
              "CREATE INDEX IF NOT EXISTS logs_by_container ON logs (container_id)"),
          List.of(
              "CREATE TABLE IF NOT EXISTS web_tokens (key_id TEXT PRIMARY KEY, name TEXT NOT NULL,"
                  + " created_at INTEGER NOT NULL, secret_sha256 BLOB NOT NULL)"),
          // Shared bytes (jars, payload blobs, image recipes): used by replicas on PostgreSQL, kept
          // here so that version n holds the same tables in both stores.
          List.of(
              "CREATE TABLE IF NOT EXISTS shared_objects (kind TEXT NOT NULL, key TEXT NOT NULL,"
                  + " size INTEGER NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (kind, key))",
              "CREATE TABLE IF NOT EXISTS shared_chunks (kind TEXT NOT NULL, key TEXT NOT NULL,"
                  + " n INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (kind, key, n))"),
          // Replicas and the leases by which each owns apps (PostgreSQL; see above), and the
          // autoscaler overrides of deployed functions.
          List.of(
              "CREATE TABLE IF NOT EXISTS replicas (id TEXT PRIMARY KEY, address TEXT NOT NULL,"
                  + " web_address TEXT NOT NULL, certificate TEXT, started_at INTEGER NOT NULL,"
                  + " heartbeat_at INTEGER NOT NULL)",
              "CREATE TABLE IF NOT EXISTS app_owners (app TEXT PRIMARY KEY, owner TEXT,"
                  + " epoch INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
                  + " acquired_at INTEGER NOT NULL, reason TEXT, app_id TEXT)",
              "CREATE TABLE IF NOT EXISTS autoscaler_overrides (app_name TEXT NOT NULL,"
                  + " version INTEGER NOT NULL, function TEXT NOT NULL, settings BLOB NOT NULL,"
                  + " PRIMARY KEY (app_name, function))"));

  /** The schema version this code writes. */
  public static final int SCHEMA_VERSION = MIGRATIONS.size();

  /**
   * Brings the store in {@code c} (not in auto-commit) to {@link #SCHEMA_VERSION}, each migration
   * in one transaction with its new version, so that a crash leaves a version whole or not begun.
   *
   * @throws SQLException if a migration fails, or the store is newer than this code
   */
  private static void migrate(Connection c, Path file) throws SQLException {
    int version = schemaVersion(c);
    if (version > SCHEMA_VERSION) {
      c.rollback();
      throw new SQLException(
          "its schema version is "
              + version
              + ", newer than this Skiff's "
              + SCHEMA_VERSION
              + ": it was written by a newer Skiff; run that version, or this one with another"
              + " --data-dir than "
              + file.toAbsolutePath().getParent());
    }
    for (int v = version; v < SCHEMA_VERSION; v++) {
      try (Statement s = c.createStatement()) {
        for (String sql : MIGRATIONS.get(v)) {
          s.execute(sql);
        }
        s.execute("PRAGMA user_version = " + (v + 1));
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw new SQLException("migration to schema version " + (v + 1) + " failed: " + e, e);
      }
    }
    c.commit();
  }

  private static int schemaVersion(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet r = s.executeQuery("PRAGMA user_version")) {
      return r.next() ? r.getInt(1) : 0;
    }
  }

  /** The schema version of this store. */
  public int schemaVersion() {
    return db().use("read the schema version", SqliteStore::schemaVersion);
  }
}
