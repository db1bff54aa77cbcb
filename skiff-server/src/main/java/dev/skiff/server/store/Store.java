package dev.skiff.server.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The server's store: one SQLite database file in WAL mode.
 *
 * <p><b>Writes</b> that callers wait for (a spawned call must be on disk before {@code spawn}
 * returns) go through one writer thread that <em>group-commits</em>: it takes every write waiting
 * in its queue (up to {@value #MAX_BATCH}), applies them in one transaction, commits once, and only
 * then completes their futures. So a thousand concurrent spawns cost a handful of fsyncs, not a
 * thousand. Writes nobody waits for (results, finished runs) share the same queue and batches.
 *
 * <p><b>Reads</b> run on the caller's thread. The connection is guarded by {@link #db}; the writer
 * holds it only for the length of one batch.
 *
 * <p>{@link #close()} lets queued writes commit, then closes the file. Thread-safe.
 */
public final class Store implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(Store.class.getName());
  private static final int MAX_BATCH = 2048;

  /** One write of a batch. */
  @FunctionalInterface
  private interface Write {
    void apply(Connection c) throws SQLException;
  }

  private record Pending(Write write, CompletableFuture<Void> done) {}

  // Guards the connection: every use of it, reads and the writer's batches.
  private final Object db = new Object();
  private final Connection connection;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread writer;
  private volatile boolean closed;

  private Store(Connection connection) {
    this.connection = connection;
    this.writer = Thread.ofPlatform().name("skiff-store-writer").daemon().start(this::writeLoop);
  }

  /**
   * Opens (creating if needed) the store in {@code file}, upgrading its schema to {@link
   * #SCHEMA_VERSION}.
   *
   * @throws UncheckedIOException if the file cannot be opened or its schema created or upgraded, or
   *     it was written by a newer Skiff (whose schema this code does not know)
   */
  public static Store open(Path file) {
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
        return new Store(c);
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
                  + " created_at INTEGER NOT NULL, secret_sha256 BLOB NOT NULL)"));

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
    synchronized (db) {
      try {
        return schemaVersion(connection);
      } catch (SQLException e) {
        throw failed("read the schema version", e);
      }
    }
  }

  // ------------------------------------------------------------------------------ meta

  /** The API token, created (32 random bytes, hex) and stored on first use. */
  public String token() {
    synchronized (db) {
      Optional<String> existing = meta("token");
      if (existing.isPresent()) {
        return existing.get();
      }
      byte[] bytes = new byte[32];
      new SecureRandom().nextBytes(bytes);
      String token = HexFormat.of().formatHex(bytes);
      try (PreparedStatement p =
          connection.prepareStatement("INSERT INTO meta (key, value) VALUES ('token', ?)")) {
        p.setString(1, token);
        p.executeUpdate();
        connection.commit();
      } catch (SQLException e) {
        throw failed("store the API token", e);
      }
      return token;
    }
  }

  private Optional<String> meta(String key) {
    try (PreparedStatement p = connection.prepareStatement("SELECT value FROM meta WHERE key=?")) {
      p.setString(1, key);
      try (ResultSet r = p.executeQuery()) {
        return r.next() ? Optional.of(r.getString(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw failed("read " + key, e);
    }
  }

  // ------------------------------------------------------------------------------ apps

  /** Stores a deployment (replacing the one of the same name); completes once committed. */
  public CompletableFuture<Void> saveApp(StoredApp app) {
    return enqueue(
        c -> {
          try (PreparedStatement p =
              c.prepareStatement(
                  "INSERT OR REPLACE INTO apps (name, version, deployed_at, definition)"
                      + " VALUES (?, ?, ?, ?)")) {
            p.setString(1, app.name());
            p.setLong(2, app.version());
            p.setLong(3, app.deployedAt().toEpochMilli());
            p.setBytes(4, app.definition());
            p.executeUpdate();
          }
        });
  }

  /** Forgets a deployment; completes once committed. */
  public CompletableFuture<Void> deleteApp(String name) {
    return enqueue(
        c -> {
          try (PreparedStatement p = c.prepareStatement("DELETE FROM apps WHERE name=?")) {
            p.setString(1, name);
            p.executeUpdate();
          }
        });
  }

  /** Every deployment, by name. */
  public List<StoredApp> apps() {
    synchronized (db) {
      try (PreparedStatement p =
              connection.prepareStatement(
                  "SELECT name, version, deployed_at, definition FROM apps ORDER BY name");
          ResultSet r = p.executeQuery()) {
        List<StoredApp> out = new ArrayList<>();
        while (r.next()) {
          out.add(
              new StoredApp(
                  r.getString(1), r.getLong(2), Instant.ofEpochMilli(r.getLong(3)), r.getBytes(4)));
        }
        return out;
      } catch (SQLException e) {
        throw failed("read the deployed apps", e);
      }
    }
  }

  // ------------------------------------------------------------------------------ web tokens

  /** Stores a new web token (its secret's hash, never the secret); completes once committed. */
  public CompletableFuture<Void> addWebToken(StoredWebToken token) {
    return enqueue(
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

  /** Forgets a web token; completes once committed. */
  public CompletableFuture<Void> deleteWebToken(String keyId) {
    return enqueue(
        c -> {
          try (PreparedStatement p = c.prepareStatement("DELETE FROM web_tokens WHERE key_id=?")) {
            p.setString(1, keyId);
            p.executeUpdate();
          }
        });
  }

  /** Every web token, oldest first. */
  public List<StoredWebToken> webTokens() {
    synchronized (db) {
      try (PreparedStatement p =
              connection.prepareStatement(
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
      } catch (SQLException e) {
        throw failed("read the web tokens", e);
      }
    }
  }

  // ------------------------------------------------------------------------------ calls

  /** Stores a new spawned call; completes once it is committed (group commit). */
  public CompletableFuture<Void> addCall(StoredCall call) {
    return enqueue(
        c -> {
          try (PreparedStatement p =
              c.prepareStatement(
                  "INSERT INTO calls (id, app_name, deployed, function, definition, args,"
                      + " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            p.setString(1, call.id());
            p.setString(2, call.appName());
            p.setInt(3, call.deployed() ? 1 : 0);
            p.setString(4, call.function());
            p.setBytes(5, call.definition());
            p.setBytes(6, call.args());
            p.setLong(7, call.createdAt().toEpochMilli());
            p.executeUpdate();
          }
        });
  }

  /**
   * Stores a call's result unless it has one already (the first result wins, so a call has exactly
   * one stored result); completes once committed.
   */
  public CompletableFuture<Void> finishCall(String id, byte[] result, Instant at) {
    return enqueue(
        c -> {
          try (PreparedStatement p =
              c.prepareStatement(
                  "UPDATE calls SET result=?, finished_at=?, args=x'' WHERE id=? AND result IS NULL")) {
            p.setBytes(1, result);
            p.setLong(2, at.toEpochMilli());
            p.setString(3, id);
            p.executeUpdate();
          }
        });
  }

  /** The call with this id, if stored. */
  public Optional<StoredCall> call(String id) {
    List<StoredCall> found = calls("WHERE id=?", id);
    return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
  }

  /** Calls without a result, oldest first. */
  public List<StoredCall> unfinishedCalls() {
    return calls("WHERE result IS NULL ORDER BY created_at");
  }

  private List<StoredCall> calls(String where, String... params) {
    synchronized (db) {
      try (PreparedStatement p =
          connection.prepareStatement(
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
                    r.getBytes(5),
                    r.getBytes(6),
                    Instant.ofEpochMilli(r.getLong(7)),
                    Optional.ofNullable(r.getBytes(8)),
                    hasFinished ? Optional.of(Instant.ofEpochMilli(finished)) : Optional.empty()));
          }
          return out;
        }
      } catch (SQLException e) {
        throw failed("read function calls", e);
      }
    }
  }

  /**
   * Deletes the results (and their calls) that finished before {@code before}, and scheduled runs
   * that started before it.
   *
   * @return how many calls were deleted
   */
  public int sweep(Instant before) {
    int[] deleted = {0};
    enqueue(
            c -> {
              try (PreparedStatement p =
                  c.prepareStatement(
                      "DELETE FROM calls WHERE finished_at IS NOT NULL AND finished_at < ?")) {
                p.setLong(1, before.toEpochMilli());
                deleted[0] = p.executeUpdate();
              }
              try (PreparedStatement p =
                  c.prepareStatement(
                      "DELETE FROM runs WHERE finished_at IS NOT NULL AND started_at < ?")) {
                p.setLong(1, before.toEpochMilli());
                p.executeUpdate();
              }
            })
        .join();
    return deleted[0];
  }

  // ------------------------------------------------------------------------------ runs

  /** Stores the start of a scheduled run (group-committed; nobody waits). */
  public void addRun(StoredRun run) {
    enqueue(
        c -> {
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

  /** Stores the end of a scheduled run. */
  public void finishRun(String id, Instant at, byte[] result) {
    enqueue(
        c -> {
          try (PreparedStatement p =
              c.prepareStatement("UPDATE runs SET finished_at=?, result=? WHERE id=?")) {
            p.setLong(1, at.toEpochMilli());
            p.setBytes(2, result);
            p.setString(3, id);
            p.executeUpdate();
          }
        });
  }

  /** The newest {@code limit} runs of an app, oldest first. */
  public List<StoredRun> runs(String appName, int limit) {
    synchronized (db) {
      try (PreparedStatement p =
          connection.prepareStatement(
              "SELECT id, app_name, function, scheduled_at, started_at, finished_at, result FROM"
                  + " (SELECT rowid AS seq, * FROM runs WHERE app_name=?"
                  + " ORDER BY started_at DESC, seq DESC LIMIT ?) ORDER BY started_at, seq")) {
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
                    hasFinished ? Optional.of(Instant.ofEpochMilli(finished)) : Optional.empty(),
                    Optional.ofNullable(r.getBytes(7))));
          }
          return out;
        }
      } catch (SQLException e) {
        throw failed("read the runs of app '" + appName + "'", e);
      }
    }
  }

  /** The latest tick a run of this function was recorded for, if any. */
  public Optional<Instant> lastTick(String appName, String function) {
    synchronized (db) {
      try (PreparedStatement p =
          connection.prepareStatement(
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
      } catch (SQLException e) {
        throw failed("read the last run of '" + function + "'", e);
      }
    }
  }

  // ------------------------------------------------------------------------------ logs

  /** Appends one encoded log line of a deployed app (group-committed; nobody waits). */
  public void addLogLine(String appName, String containerId, byte[] line) {
    enqueue(
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

  /** Deletes all but the newest {@code keep} log lines of an app (nobody waits). */
  public void pruneLogs(String appName, int keep) {
    enqueue(
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

  /** The newest {@code limit} encoded log lines of an app, oldest first. */
  public List<byte[]> logLines(String appName, int limit) {
    synchronized (db) {
      try (PreparedStatement p =
          connection.prepareStatement(
              "SELECT line FROM (SELECT seq, line FROM logs WHERE app_name=?"
                  + " ORDER BY seq DESC LIMIT ?) ORDER BY seq")) {
        p.setString(1, appName);
        p.setInt(2, limit);
        try (ResultSet r = p.executeQuery()) {
          List<byte[]> out = new ArrayList<>();
          while (r.next()) {
            out.add(r.getBytes(1));
          }
          return out;
        }
      } catch (SQLException e) {
        throw failed("read the logs of app '" + appName + "'", e);
      }
    }
  }

  /** The app whose kept log lines include this container's, if any. */
  public Optional<String> logAppOfContainer(String containerId) {
    synchronized (db) {
      try (PreparedStatement p =
          connection.prepareStatement("SELECT app_name FROM logs WHERE container_id=? LIMIT 1")) {
        p.setString(1, containerId);
        try (ResultSet r = p.executeQuery()) {
          return r.next() ? Optional.of(r.getString(1)) : Optional.empty();
        }
      } catch (SQLException e) {
        throw failed("find the app of container '" + containerId + "'", e);
      }
    }
  }

  // ------------------------------------------------------------------------------ writing

  private CompletableFuture<Void> enqueue(Write write) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (closed) {
      done.completeExceptionally(new IllegalStateException("the store is closed"));
      return done;
    }
    queue.add(new Pending(write, done));
    return done;
  }

  private void writeLoop() {
    List<Pending> batch = new ArrayList<>(MAX_BATCH);
    while (true) {
      try {
        Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          if (closed) {
            return;
          }
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH - 1);
        commit(batch);
        batch.clear();
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Applies a batch in one transaction; a write that fails alone fails only its own future. */
  private void commit(List<Pending> batch) {
    List<Pending> applied = new ArrayList<>(batch.size());
    synchronized (db) {
      try {
        for (Pending p : batch) {
          try (Statement sp = connection.createStatement()) {
            sp.execute("SAVEPOINT w");
            p.write().apply(connection);
            sp.execute("RELEASE w");
            applied.add(p);
          } catch (SQLException e) {
            try (Statement rb = connection.createStatement()) {
              rb.execute("ROLLBACK TO w");
              rb.execute("RELEASE w");
            }
            p.done().completeExceptionally(failed("write", e));
          }
        }
        connection.commit();
      } catch (SQLException e) {
        LOG.log(System.Logger.Level.ERROR, "the store could not commit a batch", e);
        try {
          connection.rollback();
        } catch (SQLException ignored) {
          // The connection is broken; the futures below report the failure.
        }
        applied.forEach(p -> p.done().completeExceptionally(failed("commit", e)));
        return;
      }
    }
    applied.forEach(p -> p.done().complete(null));
  }

  private static RuntimeException failed(String what, SQLException e) {
    return new UncheckedIOException(
        new IOException("the Skiff store could not " + what + ": " + e.getMessage(), e));
  }

  /** Commits what is queued and closes the database file. */
  @Override
  public void close() {
    closed = true;
    try {
      writer.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (db) {
      try {
        connection.close();
      } catch (SQLException e) {
        LOG.log(System.Logger.Level.WARNING, "closing the store failed", e);
      }
    }
  }
}
