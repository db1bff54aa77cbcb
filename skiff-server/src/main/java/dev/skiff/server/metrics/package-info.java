/**
 * The control plane's meters, internal: one Micrometer registry per control plane ({@code
 * Metrics}), served in Prometheus's text format at the web gateway's {@code /metrics}, and the
 * meters of each function ({@code FunctionMeters}), resolved once per function so that the call
 * path only increments them. docs/metrics.md lists every meter.
 *
 * <p><b>Owns:</b> the registry and which series exist in it: labels are bounded (app and function
 * names, container states, HTTP status codes; never call, input or container ids), and a function's
 * series leave the registry when the last of its schedulers is closed.
 *
 * <p><b>May use:</b> no other server package; the packages that measure something ({@code runtime},
 * {@code schedule}, {@code web}, and the composition root for the store) use it.
 */
package dev.skiff.server.metrics;
