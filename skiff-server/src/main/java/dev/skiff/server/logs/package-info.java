/**
 * Log lines of containers, internal: the per-app ring of recent lines and its subscribers ({@code
 * LogFanout}, {@code LogSubscriber}) and, on a server with a store, the archive that keeps them
 * ({@code StoredLogs}, a {@code LogFanout.Archive}).
 *
 * <p><b>Owns (single authority today):</b> the in-memory log rings and live subscriptions.
 *
 * <p><b>May use:</b> {@code store}.
 */
package dev.skiff.server.logs;
