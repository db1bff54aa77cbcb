/**
 * The dashboard, internal: server-rendered pages that the web gateway serves at {@code /} and under
 * {@code /_skiff/ui/} ({@code Dashboard}, a {@code web.WebUi}), behind a login with the client
 * token ({@code Sessions}).
 *
 * <p><b>Owns:</b> the login sessions (in memory) and the pages. It holds no state of the control
 * plane: it reads and acts through the client API, over a channel in this JVM that carries the
 * client token, so it sees and does what the CLI can, with the same checks.
 *
 * <p><b>May use:</b> {@code web} (the pages' contract with the HTTP server), {@code secrets} (names
 * and keys of secrets, never values).
 */
package dev.skiff.server.dashboard;
