package dev.skiff.server;

/**
 * A snapshot of one function's load, as an {@link Autoscaler} sees it.
 *
 * @param queued inputs waiting for a container
 * @param running attempts occupying container slots (including cancelled ones not yet stopped)
 * @param starting containers started but not yet ready
 * @param ready ready containers, busy or idle (not those stopping)
 * @param idleExpired ready containers that have been idle longer than the scale-down window
 * @param backingOff whether container starts are paused after repeated failed starts
 */
record FunctionLoad(
    int queued, int running, int starting, int ready, int idleExpired, boolean backingOff) {}
