/**
 * The long-running server's store: one SQLite database file (WAL mode) in the data directory,
 * {@link dev.skiff.server.store.sqlite.SqliteStore}, implementing every repository of {@link
 * dev.skiff.server.store.Store} with the shared repositories of {@link
 * dev.skiff.server.store.jdbc}.
 *
 * <p>Owns the SQLite schema and its migrations (versioned by {@code PRAGMA user_version}, append
 * only). May use {@link dev.skiff.server.store}, {@link dev.skiff.server.store.jdbc} and the SQLite
 * JDBC driver; never the control plane ({@code dev.skiff.server}). Internal to the server.
 */
package dev.skiff.server.store.sqlite;
