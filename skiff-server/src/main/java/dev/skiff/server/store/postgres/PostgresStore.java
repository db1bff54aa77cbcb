package dev.skiff.server.store.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.skiff.server.store.LeaseStore;
import dev.skiff.server.store.SharedBytes;
import dev.skiff.server.store.jdbc.GroupCommitWriter;
import dev.skiff.server.store.jdbc.JdbcStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The store of a server on PostgreSQL, reached through a HikariCP pool. The store itself can be
 * opened by several processes at once: every server on one database is a replica, and they share
 * apps through the leases of {@link #leases()}.
 *
 * <p>Writes go through a {@link GroupCommitWriter} on the pool (one writer thread, group commits:
 * concurrent spawns share a commit, and each is acknowledged only once its commit returned, which
 * with PostgreSQL's default {@code synchronous_commit=on} means its WAL is on disk); reads take a
 * pooled connection of their own. The SQL of the repositories is the one SQLite's store runs; the
 * tables differ only in their types and in a generated {@code seq} column that orders rows as they
 * were inserted (SQLite's {@code rowid}).
 *
 * <p><b>Schema.</b> Versioned in a {@code schema_version} table of one row: {@link #open} brings
 * the database to {@link #SCHEMA_VERSION} in one transaction, under an advisory lock so that
 * servers starting together migrate once; a database written by a newer Skiff is refused and left
 * as it is. The versions are in step with SQLite's: version {@code n} holds the same tables.
 *
 * <p><b>Credentials</b> are never part of the URL: {@link #checkUrl} refuses a {@code password=} in
 * it, and the user and password come separately.
 *
 * <p>{@link #close()} lets queued writes commit, then closes the pool. Thread-safe.
 */
public final class PostgresStore extends JdbcStore {
  /** The prefix of the JDBC URL of a PostgreSQL database. */
  public static final String URL_PREFIX = "jdbc:postgresql:";

  /**
   * How long a session of this store may sit idle inside a transaction before PostgreSQL ends it
   * (its {@code idle_in_transaction_session_timeout}). A replica paused (or cut off) in the middle
   * of a fenced write holds a share lock on its app's lease row; without this the lock would stay
   * as long as its connection, and the replica that takes the app over would wait for it forever.
   * Every transaction of the store runs its statements back to back, so none waits this long
   * between two of them unless its process stopped.
   */
  static final Duration IDLE_IN_TRANSACTION = Duration.ofSeconds(3);

  /** The most connections the pool keeps: the writer's and those of concurrent reads. */
  static final int MAX_CONNECTIONS = 8;

  /** The key of the advisory lock that migrations hold: "skiff" in ASCII. */
  private static final long MIGRATION_LOCK = 0x736b696666L;

  private final HikariDataSource pool;
  private final PostgresLeases leases;
  private final PostgresSharedBytes sharedBytes;

  private PostgresStore(HikariDataSource pool) {
    super(new GroupCommitWriter(pool, "Skiff store"), "seq");
    this.pool = pool;
    this.leases = new PostgresLeases(pool, this::fenceWith);
    this.sharedBytes = new PostgresSharedBytes(pool);
  }

  @Override
  public Optional<LeaseStore> leases() {
    return Optional.of(leases);
  }

  /**
   * The jars, blobs and image recipes in this database, which every server on it reads; see {@link
   * PostgresSharedBytes}.
   */
  @Override
  public SharedBytes sharedBytes() {
    return sharedBytes;
  }

  /**
   * Checks a {@code --database} URL: a PostgreSQL JDBC URL without a password in it.
   *
   * @return {@code url}
   * @throws IllegalArgumentException if it is not one, saying what is allowed
   */
  public static String checkUrl(String url) {
    if (!url.startsWith(URL_PREFIX)) {
      throw new IllegalArgumentException(
          "--database "
              + url
              + " is not a PostgreSQL JDBC URL; use jdbc:postgresql://HOST:PORT/DATABASE, or leave"
              + " --database out for the SQLite file in the data directory");
    }
    if (url.toLowerCase(Locale.ROOT).contains("password=")) {
      throw new IllegalArgumentException(
          "--database must not carry a password (command lines are visible to every user of the"
              + " machine); remove it from the URL and give it in $SKIFF_DATABASE_PASSWORD or with"
              + " --database-password-file FILE");
    }
    return url;
  }

  /**
   * Opens the store in the database at {@code url}, creating or upgrading its schema to {@link
   * #SCHEMA_VERSION}.
   *
   * @param url a PostgreSQL JDBC URL, checked by {@link #checkUrl}
   * @param user the database user; empty: the one the URL names, else the driver's default
   * @param password the user's password; empty: none
   * @throws IllegalArgumentException if the URL is refused by {@link #checkUrl}
   * @throws UncheckedIOException if the database cannot be reached, its schema created or upgraded,
   *     or it was written by a newer Skiff; the message names the URL and the cause
   */
  public static PostgresStore open(String url, Optional<String> user, Optional<String> password) {
    checkUrl(url);
    HikariConfig config = new HikariConfig();
    config.setPoolName("skiff-store");
    config.setDriverClassName("org.postgresql.Driver");
    config.setJdbcUrl(url);
    user.ifPresent(config::setUsername);
    password.ifPresent(config::setPassword);
    config.setAutoCommit(false);
    config.setMaximumPoolSize(MAX_CONNECTIONS);
    config.setMinimumIdle(1);
    config.setConnectionTimeout(10_000);
    // Session settings of every connection, passed at connect (the driver's "options").
    config.addDataSourceProperty(
        "options", "-c idle_in_transaction_session_timeout=" + IDLE_IN_TRANSACTION.toMillis());
    HikariDataSource pool;
    try {
      pool = new HikariDataSource(config);
    } catch (RuntimeException e) {
      throw failed(url, e); // Hikari's message carries the driver's: refused, auth failed...
    }
    try {
      migrate(pool);
      return new PostgresStore(pool);
    } catch (SQLException | RuntimeException e) {
      pool.close();
      throw failed(url, e);
    }
  }

  /**
   * A connection of the store's pool, with its session settings, for tests that play a replica
   * paused inside a transaction; the caller closes it.
   */
  Connection connection() throws SQLException {
    return pool.getConnection();
  }

  private static UncheckedIOException failed(String url, Throwable cause) {
    String message =
        "could not open the Skiff store in the database " + url + ": " + cause.getMessage();
    return new UncheckedIOException(message, new IOException(message, cause));
  }

  // ------------------------------------------------------------------------- schema

  /**
   * The schema, one migration per version, in step with SQLite's: migration {@code i} takes a
   * database from version {@code i} to {@code i + 1}. Times are epoch milliseconds, as in SQLite,
   * so that the repositories' SQL is the same. Append only: a released migration never changes.
   */
  private static final List<List<String>> MIGRATIONS =
      List.of(
          List.of(
              "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
              "CREATE TABLE apps (name TEXT PRIMARY KEY, version BIGINT NOT NULL,"
                  + " deployed_at BIGINT NOT NULL, definition BYTEA NOT NULL)",
              "CREATE TABLE calls (id TEXT PRIMARY KEY,"
                  + " seq BIGINT GENERATED ALWAYS AS IDENTITY, app_name TEXT NOT NULL,"
                  + " deployed INTEGER NOT NULL, function TEXT NOT NULL, definition BYTEA NOT NULL,"
                  + " args BYTEA NOT NULL, created_at BIGINT NOT NULL, finished_at BIGINT,"
                  + " result BYTEA)",
              "CREATE INDEX calls_unfinished ON calls (created_at, seq) WHERE result IS NULL",
              "CREATE INDEX calls_finished ON calls (finished_at)",
              "CREATE TABLE runs (id TEXT PRIMARY KEY, seq BIGINT GENERATED ALWAYS AS IDENTITY,"
                  + " app_name TEXT NOT NULL, function TEXT NOT NULL, scheduled_at BIGINT NOT NULL,"
                  + " started_at BIGINT NOT NULL, finished_at BIGINT, result BYTEA)",
              "CREATE INDEX runs_by_app ON runs (app_name, started_at)",
              "CREATE TABLE logs (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                  + " app_name TEXT NOT NULL, container_id TEXT NOT NULL, line BYTEA NOT NULL)",
              "CREATE INDEX logs_by_app ON logs (app_name, seq)",
              "CREATE INDEX logs_by_container ON logs (container_id)"),
          List.of(
              "CREATE TABLE web_tokens (key_id TEXT PRIMARY KEY, name TEXT NOT NULL,"
                  + " created_at BIGINT NOT NULL, secret_sha256 BYTEA NOT NULL)"),
          // Shared bytes: jars, payload blobs and image recipes that every replica reads, in
          // chunks of at most a few MiB each.
          List.of(
              "CREATE TABLE shared_objects (kind TEXT NOT NULL, key TEXT NOT NULL,"
                  + " size BIGINT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (kind, key))",
              "CREATE TABLE shared_chunks (kind TEXT NOT NULL, key TEXT NOT NULL,"
                  + " n INTEGER NOT NULL, data BYTEA NOT NULL, PRIMARY KEY (kind, key, n))"),
          // Replicas (heartbeats, addresses) and the leases by which each owns apps: the owner of
          // an app holds it until expires_at (the database's clock); epoch grows by one with every
          // new owner, and ownership-dependent writes carry it (fencing).
          List.of(
              "CREATE TABLE replicas (id TEXT PRIMARY KEY, address TEXT NOT NULL,"
                  + " web_address TEXT NOT NULL, certificate TEXT, started_at BIGINT NOT NULL,"
                  + " heartbeat_at BIGINT NOT NULL)",
              "CREATE TABLE app_owners (app TEXT PRIMARY KEY, owner TEXT,"
                  + " epoch BIGINT NOT NULL, expires_at BIGINT NOT NULL,"
                  + " acquired_at BIGINT NOT NULL, reason TEXT, app_id TEXT)",
              "CREATE SEQUENCE app_owner_epochs",
              // The autoscaler settings that UpdateAutoscaler gave functions of deployed apps,
              // applied when that version starts (restart, takeover); a new version forgets them.
              "CREATE TABLE autoscaler_overrides (app_name TEXT NOT NULL,"
                  + " version BIGINT NOT NULL, function TEXT NOT NULL, settings BYTEA NOT NULL,"
                  + " PRIMARY KEY (app_name, function))"));

  /** The schema version this code writes. */
  public static final int SCHEMA_VERSION = MIGRATIONS.size();

  /**
   * Brings the database to {@link #SCHEMA_VERSION} in one transaction (PostgreSQL's DDL is
   * transactional: a crash leaves the old version whole), under an advisory lock that servers
   * starting together take in turn.
   *
   * @throws SQLException if a migration fails, or the database is newer than this code
   */
  private static void migrate(HikariDataSource pool) throws SQLException {
    try (Connection c = pool.getConnection();
        Statement s = c.createStatement()) {
      try {
        s.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
        s.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        Optional<Integer> stored = schemaVersion(c);
        int version = stored.orElse(0);
        if (version > SCHEMA_VERSION) {
          throw new SQLException(
              "its schema version is "
                  + version
                  + ", newer than this Skiff's "
                  + SCHEMA_VERSION
                  + ": it was written by a newer Skiff; run that version, or this one on another"
                  + " database");
        }
        for (int v = version; v < SCHEMA_VERSION; v++) {
          for (String sql : MIGRATIONS.get(v)) {
            try {
              s.execute(sql);
            } catch (SQLException e) {
              throw new SQLException(
                  "migration to schema version " + (v + 1) + " failed: " + e.getMessage(), e);
            }
          }
        }
        if (stored.isEmpty()) {
          s.execute("INSERT INTO schema_version (version) VALUES (" + SCHEMA_VERSION + ")");
        } else if (version < SCHEMA_VERSION) {
          s.execute("UPDATE schema_version SET version = " + SCHEMA_VERSION);
        }
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  private static Optional<Integer> schemaVersion(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT version FROM schema_version")) {
      return r.next() ? Optional.of(r.getInt(1)) : Optional.empty();
    }
  }

  /** The schema version of this store's database. */
  public int schemaVersion() {
    return db().use("read the schema version", c -> schemaVersion(c).orElse(0));
  }

  /** Commits what is queued, then closes the pool. */
  @Override
  public void close() {
    super.close();
    pool.close();
  }
}
