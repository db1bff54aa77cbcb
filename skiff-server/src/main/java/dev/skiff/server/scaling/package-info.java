/**
 * How many containers each function has, internal: the autoscaler ({@code Autoscaler}, {@code
 * DemandAutoscaler}, {@code ScalingPolicy}, {@code ScalingDecision}) and containers started ahead
 * of need ({@code WarmPool}). Where a container fits is the backend's ({@code
 * dev.skiff.server.backend.Placement}).
 *
 * <p><b>Owns:</b> the warm containers not yet adopted by a function.
 *
 * <p><b>May use:</b> {@code common}, {@code auth}, {@code backend}, {@code runtime} (the container
 * types a warm container becomes; {@code runtime} drives this package, so the two are one layer).
 */
package dev.skiff.server.scaling;
