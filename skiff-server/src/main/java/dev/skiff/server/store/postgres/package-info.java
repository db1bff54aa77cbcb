/**
 * The store of servers that share one database: {@link
 * dev.skiff.server.store.postgres.PostgresStore}, PostgreSQL through a HikariCP pool, implementing
 * every repository of {@link dev.skiff.server.store.Store} with the shared repositories of {@link
 * dev.skiff.server.store.jdbc}.
 *
 * <p>Owns the PostgreSQL schema and its migrations (versioned in a {@code schema_version} table,
 * append only, in step with SQLite's). May use {@link dev.skiff.server.store}, {@link
 * dev.skiff.server.store.jdbc}, HikariCP and the PostgreSQL JDBC driver; never the control plane
 * ({@code dev.skiff.server}). Internal to the server.
 */
package dev.skiff.server.store.postgres;
