/**
 * The Skiff control plane: the gRPC services that clients and containers talk to, the per-function
 * input queues and schedulers, retries, timeouts and log streaming. Container backends live in
 * {@link dev.skiff.server.backend}.
 *
 * <p>Only {@link dev.skiff.server.EmbeddedControlPlaneFactory} is public here: the SDK finds it
 * with {@link java.util.ServiceLoader}. Everything else is an implementation detail.
 */
package dev.skiff.server;
