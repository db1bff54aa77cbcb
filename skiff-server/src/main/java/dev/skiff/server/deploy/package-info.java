/**
 * Deployed apps, internal: what an app definition must satisfy ({@code AppDefinitions}), deploying,
 * redeploying and undeploying apps and restoring them when the server starts ({@code Deployments}),
 * and which deployed apps an app may call ({@code CrossAppCalls}).
 *
 * <p><b>Owns (single authority today):</b> the set of deployed apps and their versions, and the
 * jars they run (in the store and the data directory).
 *
 * <p><b>May use:</b> {@code common}, {@code runtime}, {@code scaling} (whether a function can ever
 * be placed), {@code calls}, {@code schedule}, {@code web}, {@code files}, {@code image}, {@code
 * secrets}, {@code store}.
 */
package dev.skiff.server.deploy;
