/**
 * Several control-plane replicas on one database: which replica owns each app ({@link
 * dev.skiff.server.cluster.Ownership}, leases with fencing epochs) and how a request reaches the
 * owner of its app from any replica ({@link dev.skiff.server.cluster.Forwarding}).
 */
package dev.skiff.server.cluster;
