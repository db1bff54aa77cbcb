/**
 * The small vocabulary every subsystem of the control plane shares, internal: status errors ({@code
 * Statuses}), random ids and tokens ({@code RandomIds}) and the server-side bounds on what requests
 * may ask for ({@code Bounds}).
 *
 * <p><b>Owns:</b> nothing. <b>May use:</b> nothing of the server.
 */
package dev.skiff.server.common;
