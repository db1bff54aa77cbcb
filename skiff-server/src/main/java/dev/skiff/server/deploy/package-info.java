/**
 * Deployed apps: apps registered under a name on the long-running server, that run until undeployed
 * and come back after a restart. Internal to the server.
 *
 * <p><b>Owns (single authority today):</b> the deployments by name, their versions and the replaced
 * versions still draining ({@link dev.skiff.server.deploy.Deployments}, also the schedules'
 * persistence); the content-addressed classpath jars under {@code <data-dir>/classpath} ({@link
 * dev.skiff.server.deploy.JarStore}); the restore at start that brings the stored deployments and
 * their unfinished calls back ({@code Restorer}); and the checks an app definition must pass
 * whether created or deployed ({@link dev.skiff.server.deploy.AppDefinitions}), with which apps may
 * call which ({@link dev.skiff.server.deploy.CrossAppCalls}).
 *
 * <p><b>May use:</b> {@code runtime} (starting and stopping apps, whether a function can ever be
 * placed), {@code calls} (re-queueing spawned calls), {@code store}, {@code schedule}, {@code web},
 * {@code files} (volumes, the chunked upload), {@code secrets}, {@code image}, {@code cluster} (on
 * a replica: which apps it owns) and {@code common}. It does not use {@code api}: the gRPC edge
 * calls it.
 */
package dev.skiff.server.deploy;
