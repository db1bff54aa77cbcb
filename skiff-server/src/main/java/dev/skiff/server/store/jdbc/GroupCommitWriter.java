package dev.skiff.server.store.jdbc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import javax.sql.DataSource;

/**
 * The JDBC connection (or pool) that a store reads on and writes through, with writes
 * <em>group-committed</em>: one writer thread takes every write waiting in its queue (up to {@value
 * #MAX_BATCH}), applies them in one transaction, commits once, and only then completes their
 * futures. So a thousand concurrent writes that callers wait for (a spawned call must be durable
 * before {@code spawn} answers) cost a handful of commits, not a thousand. A write that fails alone
 * (a duplicate key) fails only its own future: the batch is then applied again with a savepoint
 * around each write, and the failing one rolled back to its savepoint.
 *
 * <p>Plain JDBC and standard SQL ({@code SAVEPOINT}, {@code RELEASE SAVEPOINT}, {@code ROLLBACK TO
 * SAVEPOINT}) only, so that any database's store can use it; the SQL of the writes and reads is the
 * store's.
 *
 * <p><b>Background writes</b> ({@link #writeInBackground}: log lines, which nobody waits for) wait
 * in a queue of their own, bounded to {@value #MAX_BACKGROUND_QUEUED}; when it is full they are
 * refused, never queued without bound. They are committed in batches of their own, of at most
 * {@value #MAX_BACKGROUND_BATCH}, and only while no other write waits: a flood of them delays a
 * durable write by at most one such batch.
 *
 * <p><b>Connections.</b> On one connection (SQLite's file) reads run on the caller's thread in turn
 * with the writer, which holds the connection only for the length of one batch. On a pool (a
 * database server) each batch and each read takes a connection of its own. {@link #close()} lets
 * queued writes commit, then closes the one connection; a write after it fails. Thread-safe.
 */
public final class GroupCommitWriter implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(GroupCommitWriter.class.getName());
  private static final int MAX_BATCH = 2048;

  /** The most background writes waiting; more are refused. */
  public static final int MAX_BACKGROUND_QUEUED = 1024;

  /** The most background writes committed together. */
  private static final int MAX_BACKGROUND_BATCH = 256;

  /** One write of a batch: statements on the connection, which the writer commits. */
  @FunctionalInterface
  public interface Write {
    /** Applies the write; never commits or rolls back. */
    void apply(Connection c) throws SQLException;
  }

  /** Work on a connection to itself (no write runs on it meanwhile): a read. */
  @FunctionalInterface
  public interface Work<T> {
    /** Does the work and returns its result. */
    T apply(Connection c) throws SQLException;
  }

  private record Pending(Write write, CompletableFuture<Void> done) {}

  /** Where the writer and the readers get a connection, not in auto-commit. */
  private interface Connections {
    /** Runs {@code work} with a connection to itself. */
    <T> T with(Work<T> work) throws SQLException;

    /** After a failed transaction on {@code c}: makes {@code c} ready for the next one. */
    void recover(Connection c);

    /** Releases what this holds. */
    void close();
  }

  private final String store;
  private final Connections connections;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final BlockingQueue<Pending> background = new ArrayBlockingQueue<>(MAX_BACKGROUND_QUEUED);
  private final Thread writer;
  private volatile boolean closed;
  private volatile LongConsumer committed = nanos -> {};

  /**
   * Starts the writer thread on one connection, which reads share with it (an embedded database's
   * one file).
   *
   * @param connection the connection to use, not in auto-commit; closed by {@link #close()}
   * @param store what the store is called in errors, such as {@code "Skiff store"}
   */
  public GroupCommitWriter(Connection connection, String store) {
    this(new OneConnection(connection), store);
  }

  /**
   * Starts the writer thread on a pool (a database server): each batch and each read takes a
   * connection of its own from it, so that reads run side by side and a broken connection is
   * replaced by the pool. The pool stays the caller's, to close after this writer.
   *
   * @param pool hands out connections not in auto-commit
   * @param store what the store is called in errors, such as {@code "Skiff store"}
   */
  public GroupCommitWriter(DataSource pool, String store) {
    this(new Pooled(pool), store);
  }

  private GroupCommitWriter(Connections connections, String store) {
    this.connections = connections;
    this.store = store;
    this.writer = Thread.ofPlatform().name("skiff-store-writer").daemon().start(this::writeLoop);
  }

  /**
   * From now on, tells {@code committed} how long each batch that committed took, from taking its
   * connection to the commit's return, in nanoseconds; called on the writer thread.
   */
  public void observeCommits(LongConsumer committed) {
    this.committed = committed;
  }

  /** Queues a write; the future completes once it is committed. */
  public CompletableFuture<Void> write(Write write) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (closed) {
      done.completeExceptionally(new IllegalStateException("the store is closed"));
      return done;
    }
    queue.add(new Pending(write, done));
    return done;
  }

  /**
   * Queues a write that nobody needs to wait for, behind every other write; a failure of it is
   * logged.
   *
   * @return completes with true once committed, or at once with false if it was refused: {@value
   *     #MAX_BACKGROUND_QUEUED} such writes wait already, or the store is closed
   */
  public CompletableFuture<Boolean> writeInBackground(Write write) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (closed || !background.offer(new Pending(write, done))) {
      return CompletableFuture.completedFuture(false);
    }
    return done.whenComplete(
            (ok, e) -> {
              if (e != null) {
                LOG.log(System.Logger.Level.WARNING, "a background write failed: {0}", e);
              }
            })
        .thenApply(ok -> true);
  }

  /**
   * Runs {@code work} on the caller's thread with the connection to itself.
   *
   * @param what what the work does, for the error: "read the deployed apps"
   * @throws UncheckedIOException if it fails
   */
  public <T> T use(String what, Work<T> work) {
    try {
      return connections.with(work);
    } catch (SQLException e) {
      throw failed(what, e);
    }
  }

  private void writeLoop() {
    List<Pending> batch = new ArrayList<>(MAX_BATCH);
    while (true) {
      try {
        Pending first = queue.poll();
        if (first == null && !background.isEmpty()) {
          background.drainTo(batch, MAX_BACKGROUND_BATCH);
          commit(batch);
          batch.clear();
          continue;
        }
        if (first == null) {
          first = queue.poll(100, TimeUnit.MILLISECONDS);
        }
        if (first == null) {
          if (closed && background.isEmpty()) {
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

  /**
   * Applies a batch in one transaction; a write that fails alone (a duplicate key, a bug that
   * throws) fails only its own future. When the transaction itself fails (the commit, a savepoint,
   * no connection to be had, or the database rolled everything back by itself, as SQLite does on a
   * full disk) every write of the batch is answered with that failure and nothing of it counts as
   * written.
   */
  private void commit(List<Pending> batch) {
    List<Pending> applied = new ArrayList<>(batch.size());
    long start = System.nanoTime();
    try {
      connections.with(
          c -> {
            applyAndCommit(c, batch, applied);
            return null;
          });
    } catch (SQLException e) {
      LOG.log(System.Logger.Level.ERROR, "the store could not commit a batch", e);
      RuntimeException failure = failed("commit", e);
      batch.forEach(p -> p.done().completeExceptionally(failure));
      return;
    }
    committed.accept(System.nanoTime() - start);
    applied.forEach(p -> p.done().complete(null));
  }

  /**
   * Applies the batch and commits it: first all writes at once, without a savepoint each (a
   * savepoint costs a database server two round trips per write); if one of them fails, the
   * transaction is rolled back and the batch applied again write by write, each under a savepoint,
   * so that the failing write fails alone.
   */
  private void applyAndCommit(Connection c, List<Pending> batch, List<Pending> applied)
      throws SQLException {
    try {
      if (applyAll(c, batch)) {
        applied.addAll(batch);
      } else {
        c.rollback();
        applyEach(c, batch, applied);
      }
      c.commit();
    } catch (SQLException e) {
      connections.recover(c);
      throw e;
    }
  }

  /** Applies every write of the batch; false, with nothing decided, as soon as one fails. */
  private static boolean applyAll(Connection c, List<Pending> batch) {
    for (Pending p : batch) {
      if (apply(p, c) != null) {
        return false;
      }
    }
    return true;
  }

  private void applyEach(Connection c, List<Pending> batch, List<Pending> applied)
      throws SQLException {
    for (Pending p : batch) {
      try (Statement s = c.createStatement()) {
        s.execute("SAVEPOINT w");
        Exception failure = apply(p, c);
        if (failure == null) {
          s.execute("RELEASE SAVEPOINT w");
          applied.add(p);
        } else {
          p.done().completeExceptionally(failed("write", failure));
          s.execute("ROLLBACK TO SAVEPOINT w");
          s.execute("RELEASE SAVEPOINT w");
        }
      }
    }
  }

  /** Applies one write; what it threw, or null. */
  private static Exception apply(Pending p, Connection c) {
    try {
      p.write().apply(c);
      return null;
    } catch (SQLException | RuntimeException e) {
      return e;
    }
  }

  private RuntimeException failed(String what, Exception e) {
    return new UncheckedIOException(
        new IOException("the " + store + " could not " + what + ": " + e.getMessage(), e));
  }

  /** Commits what is queued and closes the one connection (a pool stays open). */
  @Override
  public void close() {
    closed = true;
    try {
      writer.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    connections.close();
  }

  /** One connection that the writer and the readers take turns on. */
  private static final class OneConnection implements Connections {
    // Guards every use of the connection: reads, work, and the writer's batches.
    private final Object lock = new Object();
    private final Connection connection;

    OneConnection(Connection connection) {
      this.connection = connection;
    }

    @Override
    public <T> T with(Work<T> work) throws SQLException {
      synchronized (lock) {
        return work.apply(connection);
      }
    }

    /**
     * After a failed transaction: rolls back what is left of it, so that the next batch starts a
     * fresh one. Where the database already rolled back by itself (SQLite on a full disk) the
     * rollback fails and the driver would go on as if a transaction were open, so that each later
     * write would commit alone; switching auto-commit on and off again starts a transaction the
     * driver knows of.
     */
    @Override
    public void recover(Connection c) {
      try {
        c.rollback();
        return;
      } catch (SQLException e) {
        LOG.log(System.Logger.Level.DEBUG, "rollback after a failed batch: {0}", e.getMessage());
      }
      try {
        c.setAutoCommit(true);
      } catch (SQLException e) {
        LOG.log(
            System.Logger.Level.DEBUG, "auto-commit on after a failed batch: {0}", e.getMessage());
      }
      try {
        c.setAutoCommit(false);
      } catch (SQLException e) {
        // The connection is broken; the next batch fails and says so.
        LOG.log(System.Logger.Level.ERROR, "the store could not start a new transaction", e);
      }
    }

    @Override
    public void close() {
      synchronized (lock) {
        try {
          connection.close();
        } catch (SQLException e) {
          LOG.log(System.Logger.Level.WARNING, "closing the store failed", e);
        }
      }
    }
  }

  /** A pool: a connection for each batch and each read. */
  private record Pooled(DataSource pool) implements Connections {
    @Override
    public <T> T with(Work<T> work) throws SQLException {
      try (Connection c = pool.getConnection()) {
        return work.apply(c);
      }
    }

    @Override
    public void recover(Connection c) {
      try {
        c.rollback();
      } catch (SQLException e) {
        // Closing the connection hands it back; the pool drops a broken one.
        LOG.log(System.Logger.Level.DEBUG, "rollback after a failed batch: {0}", e.getMessage());
      }
    }

    @Override
    public void close() {}
  }
}
