/**
 * What a store on any JDBC database shares: {@link dev.skiff.server.store.jdbc.GroupCommitWriter},
 * whose writes are group-committed by one writer thread (on one connection, or a pool), {@link
 * dev.skiff.server.store.jdbc.JdbcStore}, which gathers the repositories, and the repositories
 * ({@code Jdbc*}) whose SQL SQLite and PostgreSQL both speak: standard SQL with {@code ON CONFLICT}
 * upserts, epoch milliseconds as integers, bytes as blobs.
 *
 * <p>Owns the SQL of the repositories, not the schema: each database's store creates the tables
 * (with its own types) and says which column orders rows as they were inserted. May use {@link
 * dev.skiff.server.store} and the JDK's {@code java.sql} only. Internal to the server.
 */
package dev.skiff.server.store.jdbc;
