package dev.skiff.server.store.jdbc;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * What keeps a replica that lost an app from writing for it: a write that depends on owning an app
 * first {@linkplain #check checks}, in its own transaction, that the app's lease still carries the
 * epoch under which this replica took it, and locks the lease's row until it commits, so that no
 * new owner can take the app between the check and the commit. A replica paused past its lease (its
 * process stopped, its machine frozen) wakes with writes under an old epoch: they are refused. A
 * store that only one server uses has {@link #none()}. Thread-safe.
 */
public interface Fence {
  /**
   * Checks, in {@code c}'s transaction, that this replica still owns {@code app}.
   *
   * @throws FencedException if another replica owns it now, or this one does not hold it
   * @throws SQLException if the check fails
   */
  void check(Connection c, String app) throws SQLException;

  /** The fence of a store only one server uses: every write may go on. */
  static Fence none() {
    return (c, app) -> {};
  }

  /** A write refused because its replica no longer owns the app it writes for. */
  final class FencedException extends SQLException {
    private static final long serialVersionUID = 1L;

    public FencedException(String app, String why) {
      super(
          "app '"
              + app
              + "' belongs to another replica now ("
              + why
              + "); this replica no longer writes for it");
    }
  }
}
