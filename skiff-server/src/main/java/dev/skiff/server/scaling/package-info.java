/**
 * How many containers each function has, internal: the autoscaler ({@code Autoscaler}, {@code
 * DemandAutoscaler}, {@code ScalingPolicy}, {@code ScalingDecision}), what the node can still hold
 * ({@code NodeCapacity}) and containers started ahead of need ({@code WarmPool}).
 *
 * <p><b>Owns:</b> the node's reservations; the warm containers not yet adopted by a function.
 *
 * <p><b>May use:</b> {@code common}, {@code auth}, {@code backend}, {@code runtime} (the container
 * types a warm container becomes; {@code runtime} drives this package, so the two are one layer).
 */
package dev.skiff.server.scaling;
