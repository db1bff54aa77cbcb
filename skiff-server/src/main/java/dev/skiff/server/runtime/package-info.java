/**
 * The per-function core, internal: the app directory ({@code AppDirectory}, {@code RunningApp}),
 * and for each function its input queue, attempts, retries, timeouts and containers ({@code
 * FunctionScheduler}, {@code Input}, {@code Attempt}, {@code Container}, {@code ContainerChannel}).
 *
 * <p><b>Owns (single authority today):</b> which apps run and their functions; every live input and
 * attempt of a function; every container of a function and its state. None of it is persisted:
 * durable facts (spawned calls, deployments, schedule runs) belong to {@code calls}, {@code deploy}
 * and {@code schedule}, which feed inputs in here.
 *
 * <p><b>May use:</b> {@code common}, {@code auth} (container tokens), {@code backend} (to start
 * containers), {@code scaling} (autoscaler, capacity, warm pool; they use this package's container
 * types in turn), {@code image}, {@code files} (volumes a container mounts), {@code logs}.
 */
package dev.skiff.server.runtime;
