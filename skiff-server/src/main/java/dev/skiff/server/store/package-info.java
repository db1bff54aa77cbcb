/**
 * The long-running server's store: one embedded SQLite database file (WAL mode) in the data
 * directory that keeps what must survive a restart: the API token, deployed apps, spawned calls
 * with their results, and scheduled runs. Internal to the server.
 */
package dev.skiff.server.store;
