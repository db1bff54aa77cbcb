/**
 * The Skiff control plane's composition root: {@link dev.skiff.server.SkiffServer} (the
 * long-running server process) and {@link dev.skiff.server.EmbeddedControlPlaneFactory} (found by
 * the SDK through {@link java.util.ServiceLoader} for the embedded default) build a {@link
 * dev.skiff.server.ControlPlane}, which wires the subsystems together and owns their lifecycle.
 *
 * <p><b>Packages.</b> Supported for use outside the server: this package's two entry points, and
 * the service-provider interfaces {@link dev.skiff.server.backend} (where containers run) and
 * {@link dev.skiff.server.store} (where durable state is kept). Every other sub-package is
 * internal: it is public only so that sub-packages can use each other, and may change in any
 * release without notice.
 *
 * <ul>
 *   <li>{@code api}: the gRPC edge (validation of requests, status mapping, stream adapters);
 *   <li>{@code auth}: tokens and who is calling;
 *   <li>{@code runtime}: apps, inputs, attempts and containers of each function;
 *   <li>{@code scaling}: the autoscaler, the warm pool;
 *   <li>{@code calls}: spawned calls that outlive their caller;
 *   <li>{@code deploy}: deployed apps, app definition checks, calls between apps;
 *   <li>{@code schedule}, {@code web}, {@code logs}, {@code files}, {@code secrets}, {@code image}:
 *       one feature each;
 *   <li>{@code common}: the small vocabulary all of them share (status errors, ids, bounds).
 * </ul>
 *
 * <p>{@code DependencyRulesTest} checks which package may use which.
 *
 * <p><b>May use:</b> every sub-package.
 */
package dev.skiff.server;
