package dev.skiff.server.store.postgres;

import dev.skiff.server.store.SharedBytes;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import javax.sql.DataSource;

/**
 * {@link SharedBytes} in PostgreSQL: an object is a row of {@code shared_objects (kind, key, size,
 * created_at)} and its bytes rows of {@code shared_chunks (kind, key, n, data)} of {@link #CHUNK}
 * bytes each (the last one shorter).
 *
 * <p><b>Writes</b> run on a pooled connection of their own, not through the store's {@link
 * dev.skiff.server.store.jdbc.GroupCommitWriter}: its one writer thread commits every spawn, and a
 * 100 MiB jar in one of its batches would hold every spawn behind it for as long as the jar takes
 * to send. A put is one transaction: it takes a transaction-level advisory lock on the object's
 * name (two replicas putting one jar at once take turns), deletes what was there, inserts the
 * chunks one by one as they are read from the stream (one chunk in memory), inserts the object's
 * row last and commits. Nothing of it is visible before the commit, and with PostgreSQL's default
 * {@code synchronous_commit=on} the commit returns once it is on disk.
 *
 * <p><b>Reads</b> take the object's row, then each chunk in a query of its own on a connection
 * borrowed for that query only, so that a slow reader holds no connection between chunks. A read
 * that finds a chunk gone (the object deleted or replaced meanwhile) or the bytes not adding up to
 * the size fails with an {@link IOException}.
 *
 * <p>At most {@link #CONCURRENT} operations use the pool at once, so that large transfers leave the
 * rest of the pool to the store's writer and reads. Thread-safe.
 */
final class PostgresSharedBytes implements SharedBytes {
  /** The bytes of a chunk (the last one of an object may be shorter). */
  static final int CHUNK = 1024 * 1024;

  /** The most pooled connections that shared bytes use at once. */
  static final int CONCURRENT = PostgresStore.MAX_CONNECTIONS / 2;

  private final DataSource pool;
  private final Semaphore permits = new Semaphore(CONCURRENT, true);

  PostgresSharedBytes(DataSource pool) {
    this.pool = pool;
  }

  @Override
  public boolean shared() {
    return true;
  }

  @FunctionalInterface
  private interface Work<T> {
    T run(Connection c) throws SQLException, IOException;
  }

  /** Runs {@code work} in a transaction of its own, committed if it returns. */
  private <T> T transaction(String what, Work<T> work) {
    try {
      permits.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(new IOException("interrupted while waiting to " + what, e));
    }
    try (Connection c = pool.getConnection()) {
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | IOException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new UncheckedIOException(
          new IOException("could not " + what + ": " + e.getMessage(), e));
    } catch (IOException e) {
      throw new UncheckedIOException("could not " + what + ": " + e.getMessage(), e);
    } finally {
      permits.release();
    }
  }

  private static String name(Kind kind, String key) {
    return kind.id() + " " + key;
  }

  @Override
  public long put(Kind kind, String key, InputStream in) {
    return transaction(
        "store the shared " + name(kind, key),
        c -> {
          try (PreparedStatement lock =
              c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
            lock.setString(1, name(kind, key));
            lock.execute();
          }
          deleteRows(c, kind, key);
          long size = 0;
          byte[] buffer = new byte[CHUNK];
          try (PreparedStatement chunk =
              c.prepareStatement(
                  "INSERT INTO shared_chunks (kind, key, n, data) VALUES (?, ?, ?, ?)")) {
            for (int n = 0; ; n++) {
              int read = in.readNBytes(buffer, 0, CHUNK);
              if (read == 0) {
                break;
              }
              chunk.setString(1, kind.id());
              chunk.setString(2, key);
              chunk.setInt(3, n);
              chunk.setBytes(4, read == CHUNK ? buffer : Arrays.copyOf(buffer, read));
              chunk.executeUpdate();
              size += read;
              if (read < CHUNK) {
                break;
              }
            }
          }
          try (PreparedStatement object =
              c.prepareStatement(
                  "INSERT INTO shared_objects (kind, key, size, created_at) VALUES (?, ?, ?,"
                      + " CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT))")) {
            object.setString(1, kind.id());
            object.setString(2, key);
            object.setLong(3, size);
            object.executeUpdate();
          }
          return size;
        });
  }

  private static int deleteRows(Connection c, Kind kind, String key) throws SQLException {
    int objects;
    try (PreparedStatement s =
        c.prepareStatement("DELETE FROM shared_objects WHERE kind = ? AND key = ?")) {
      s.setString(1, kind.id());
      s.setString(2, key);
      objects = s.executeUpdate();
    }
    try (PreparedStatement s =
        c.prepareStatement("DELETE FROM shared_chunks WHERE kind = ? AND key = ?")) {
      s.setString(1, kind.id());
      s.setString(2, key);
      s.executeUpdate();
    }
    return objects;
  }

  @Override
  public Optional<InputStream> open(Kind kind, String key) {
    Optional<Long> size =
        transaction(
            "read the shared " + name(kind, key),
            c -> {
              try (PreparedStatement s =
                  c.prepareStatement(
                      "SELECT size FROM shared_objects WHERE kind = ? AND key = ?")) {
                s.setString(1, kind.id());
                s.setString(2, key);
                try (ResultSet r = s.executeQuery()) {
                  return r.next() ? Optional.of(r.getLong(1)) : Optional.<Long>empty();
                }
              }
            });
    return size.map(n -> new ChunkStream(kind, key, n));
  }

  @Override
  public Set<String> existing(Kind kind, Collection<String> keys) {
    if (keys.isEmpty()) {
      return Set.of();
    }
    return transaction(
        "look up shared " + kind.id() + "s",
        c -> {
          Array array = c.createArrayOf("text", keys.toArray());
          try (PreparedStatement s =
              c.prepareStatement(
                  "SELECT key FROM shared_objects WHERE kind = ? AND key = ANY(?)")) {
            s.setString(1, kind.id());
            s.setArray(2, array);
            Set<String> found = new HashSet<>();
            try (ResultSet r = s.executeQuery()) {
              while (r.next()) {
                found.add(r.getString(1));
              }
            }
            return found;
          } finally {
            array.free();
          }
        });
  }

  @Override
  public boolean delete(Kind kind, String key) {
    return transaction("delete the shared " + name(kind, key), c -> deleteRows(c, kind, key) > 0);
  }

  /** An object's bytes, read a chunk at a time. Not thread-safe (as streams are not). */
  private final class ChunkStream extends InputStream {
    private final Kind kind;
    private final String key;
    private final long size;
    private long delivered; // bytes of chunks fetched so far, the current one included
    private int next; // the number of the next chunk to fetch
    private byte[] chunk = new byte[0];
    private int position;

    ChunkStream(Kind kind, String key, long size) {
      this.kind = kind;
      this.key = key;
      this.size = size;
    }

    /** Makes bytes available if any are left: false at the end of the object. */
    private boolean fill() throws IOException {
      while (position == chunk.length) {
        if (delivered == size) {
          return false;
        }
        byte[] data;
        try {
          data = fetch(next);
        } catch (UncheckedIOException e) {
          throw e.getCause();
        }
        if (data == null || data.length == 0 || delivered + data.length > size) {
          throw new IOException(
              "the shared "
                  + name(kind, key)
                  + " changed while it was read (chunk "
                  + next
                  + (data == null ? " is gone" : " does not fit its size of " + size + " bytes")
                  + "); read it again");
        }
        chunk = data;
        position = 0;
        delivered += data.length;
        next++;
      }
      return true;
    }

    private byte[] fetch(int n) {
      return transaction(
          "read chunk " + n + " of the shared " + name(kind, key),
          c -> {
            try (PreparedStatement s =
                c.prepareStatement(
                    "SELECT data FROM shared_chunks WHERE kind = ? AND key = ? AND n = ?")) {
              s.setString(1, kind.id());
              s.setString(2, key);
              s.setInt(3, n);
              try (ResultSet r = s.executeQuery()) {
                return r.next() ? r.getBytes(1) : null;
              }
            }
          });
    }

    @Override
    public int read() throws IOException {
      return fill() ? chunk[position++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      if (len == 0) {
        return 0;
      }
      if (!fill()) {
        return -1;
      }
      int n = Math.min(len, chunk.length - position);
      System.arraycopy(chunk, position, b, off, n);
      position += n;
      return n;
    }
  }
}
