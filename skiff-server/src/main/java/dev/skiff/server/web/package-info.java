/**
 * Web endpoints, internal: the HTTP gateway that turns requests into inputs of web functions
 * ({@code WebGateway}) and the tokens that protect endpoints ({@code WebTokens}).
 *
 * <p><b>Owns:</b> the HTTP listener (Jetty; no other package uses an HTTP server) and its routes
 * (derived from running apps), with their bounds ({@code WebLimits}, {@code BodyBudget}); the
 * endpoint tokens (in the store when the server has one); the operational paths {@code /healthz},
 * {@code /readyz} and {@code /metrics}, and who may read the last.
 *
 * <p><b>May use:</b> {@code common}, {@code auth}, {@code runtime}, {@code store}, {@code metrics}
 * (to serve the meters and count its answers).
 */
package dev.skiff.server.web;
