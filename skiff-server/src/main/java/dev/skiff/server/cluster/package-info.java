/**
 * Several control-plane replicas on one database: which replica owns each app ({@link
 * dev.skiff.server.cluster.Ownership}, leases with fencing epochs) and how a request reaches the
 * owner of its app from any replica ({@link dev.skiff.server.cluster.Forwarding}). Internal to the
 * server.
 *
 * <p><b>Owns:</b> this replica's leases and its view of the others (their addresses, heartbeats and
 * leases, as of the last scan). <b>May use:</b> {@code store} (the leases and replicas tables) and
 * {@code auth} (the token header a forwarded request carries on). {@code deploy} uses it; the
 * control plane wires it.
 */
package dev.skiff.server.cluster;
