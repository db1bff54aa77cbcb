/**
 * The {@code skiff} command line (picocli): running and deploying apps, the long-running server,
 * apps, calls, containers, logs, secrets, volumes and tokens. Each command is a class; they talk to
 * a server through the SDK's client, and {@code skiff server} starts {@code dev.skiff.server}. Not
 * an API.
 *
 * <p><b>May use:</b> the SDK (and its internal client), the protocol, the server's entry point and
 * its secret store ({@code skiff secret} works on the server's data directory).
 */
package dev.skiff.cli;
