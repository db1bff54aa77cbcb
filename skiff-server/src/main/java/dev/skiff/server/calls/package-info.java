/**
 * Spawned calls that outlive the request that made them, internal: {@code CallRegistry} keeps each
 * call's state and result until it is fetched or expires, in the store when the server has one.
 *
 * <p><b>Owns (single authority today):</b> the live spawned calls and their results.
 *
 * <p><b>May use:</b> {@code common}, {@code runtime} (to submit inputs), {@code store}.
 */
package dev.skiff.server.calls;
