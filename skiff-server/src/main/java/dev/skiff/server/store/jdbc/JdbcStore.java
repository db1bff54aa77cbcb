package dev.skiff.server.store.jdbc;

import dev.skiff.server.store.CallStore;
import dev.skiff.server.store.DeploymentStore;
import dev.skiff.server.store.LogStore;
import dev.skiff.server.store.RunStore;
import dev.skiff.server.store.Store;
import dev.skiff.server.store.TokenStore;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.function.LongConsumer;

/**
 * A {@link Store} whose repositories are the shared JDBC ones ({@code Jdbc*}), all writing through
 * one {@link GroupCommitWriter}; a database's store adds its schema and how it connects.
 * Thread-safe.
 */
public abstract class JdbcStore implements Store {
  private final GroupCommitWriter db;
  private final JdbcCalls calls;
  private final JdbcDeployments deployments;
  private final JdbcRuns runs;
  private final JdbcLogs logs;
  private final JdbcTokens tokens;
  private volatile Fence fence = Fence.none();

  /** How long {@link #check()} lets the database take, in seconds. */
  private static final int CHECK_TIMEOUT_SECONDS = 5;

  /**
   * A store on {@code db}.
   *
   * @param db the writer, closed by {@link #close()}
   * @param insertionOrder the column that orders rows as they were inserted: SQLite's {@code
   *     rowid}, a generated column elsewhere
   */
  protected JdbcStore(GroupCommitWriter db, String insertionOrder) {
    this.db = db;
    Fence fenced = (c, app) -> fence.check(c, app);
    this.calls = new JdbcCalls(db, insertionOrder, fenced);
    this.deployments = new JdbcDeployments(db, fenced);
    this.runs = new JdbcRuns(db, insertionOrder, fenced);
    this.logs = new JdbcLogs(db);
    this.tokens = new JdbcTokens(db);
  }

  /**
   * Makes every write that depends on owning an app check {@code fence} first (a replica's leases);
   * until then, and for a store only one server uses, nothing is checked.
   */
  public final void fenceWith(Fence fence) {
    this.fence = fence;
  }

  /** The writer the repositories use, for what a database's store reads of its own. */
  protected final GroupCommitWriter db() {
    return db;
  }

  @Override
  public final CallStore calls() {
    return calls;
  }

  @Override
  public final DeploymentStore deployments() {
    return deployments;
  }

  @Override
  public final RunStore runs() {
    return runs;
  }

  @Override
  public final LogStore logs() {
    return logs;
  }

  @Override
  public final TokenStore tokens() {
    return tokens;
  }

  @Override
  public final void observeCommits(LongConsumer committed) {
    db.observeCommits(committed);
  }

  /** Reads one row of {@code apps} at most, on a connection of its own (a pool's) or the one. */
  @Override
  public final void check() {
    db.use(
        "answer a trivial query",
        c -> {
          try (Statement s = c.createStatement()) {
            s.setQueryTimeout(CHECK_TIMEOUT_SECONDS);
            try (ResultSet r = s.executeQuery("SELECT 1 FROM apps LIMIT 1")) {
              return r.next();
            }
          }
        });
  }

  /** Commits what is queued and closes the writer. */
  @Override
  public void close() {
    db.close();
  }
}
