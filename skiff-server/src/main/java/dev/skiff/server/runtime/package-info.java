/**
 * The per-function core of the control plane: running apps ({@link
 * dev.skiff.server.runtime.AppDirectory}), and for each function its inputs, attempts and
 * containers ({@link dev.skiff.server.runtime.FunctionScheduler}). Internal to the server.
 *
 * <p><b>Owns (single authority today)</b> the live state of every running app: which apps run (the
 * directory), and per function its queued, waiting and running inputs, attempts with their timers
 * and retries, its containers, their slots and what they hold of the node. None of it is persisted;
 * see each class's "Ownership" paragraph and docs/DESIGN.md, section 12, for where several control
 * planes would need a lease.
 *
 * <p><b>Ports.</b> Other packages use a function through two small interfaces, never through the
 * scheduler class: {@link dev.skiff.server.runtime.FunctionInputs} (calls, web endpoints,
 * schedules, the client API and its streams) and {@link dev.skiff.server.runtime.ContainerEvents}
 * (the container service, the warm pool). The scheduler's layers ({@code FunctionCore} and those
 * above it) are package-private.
 *
 * <p><b>May use</b> the protocol, {@code server.backend} (to place and start containers), {@code
 * server.image} (images a function runs on), {@code server.scaling} (autoscaler, warm pool), {@code
 * server.logs}, {@code server.files} (volume mounts), {@code server.auth} (container tokens),
 * {@code server.metrics} (each function's meters), {@code server.activity} (its recent calls) and
 * {@code server.common}; never the gRPC services of {@code server.api}, nor deployments, calls,
 * schedules or web, which use it.
 */
package dev.skiff.server.runtime;
