/**
 * Web endpoints, internal: the HTTP gateway that turns requests into inputs of web functions
 * ({@code WebGateway}) and the tokens that protect endpoints ({@code WebTokens}).
 *
 * <p><b>Owns:</b> the HTTP listener (Jetty; no other package uses an HTTP server) and its routes
 * (derived from running apps), with their bounds ({@code WebLimits}, {@code BodyBudget}); the
 * endpoint tokens (in the store when the server has one).
 *
 * <p><b>May use:</b> {@code common}, {@code auth}, {@code runtime}, {@code store}.
 */
package dev.skiff.server.web;
