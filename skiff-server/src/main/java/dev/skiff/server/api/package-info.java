/**
 * The gRPC edge of the control plane, internal: the services that clients ({@code ClientApi},
 * {@code BlobApi}, {@code VolumeApi}, {@code ImageApi}, {@code TokenApi}) and containers ({@code
 * ContainerApi}, on the container socket) talk to. It checks who calls and what they send (bounds,
 * permissions), turns requests into calls on the subsystems, adapts streams (map, generate, logs)
 * and maps failures to gRPC statuses. It owns no state of its own beyond per-stream flow control.
 *
 * <p><b>May use:</b> every other sub-package of {@code dev.skiff.server}; none of them uses this
 * one.
 */
package dev.skiff.server.api;
