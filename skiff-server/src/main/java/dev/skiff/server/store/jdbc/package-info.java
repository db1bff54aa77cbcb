/**
 * What a store on any JDBC database can share: {@link
 * dev.skiff.server.store.jdbc.GroupCommitWriter}, one connection whose writes are group-committed
 * by one writer thread and whose reads run on the caller's thread.
 *
 * <p>Owns no schema and no SQL of its own beyond standard savepoints. May use the JDK's {@code
 * java.sql} only. Internal to the server.
 */
package dev.skiff.server.store.jdbc;
