package dev.skiff.server.runtime;

import dev.skiff.server.activity.Activity;
import dev.skiff.server.auth.Tokens;
import dev.skiff.server.backend.ContainerBackend;
import dev.skiff.server.backend.Placement;
import dev.skiff.server.logs.LogFanout;
import dev.skiff.server.metrics.Metrics;
import dev.skiff.server.scaling.Autoscaler;
import dev.skiff.server.scaling.WarmPool;
import java.time.Clock;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * What every {@link FunctionScheduler} of a control plane shares.
 *
 * @param config the control plane's settings
 * @param clock the wall clock, for timestamps shown to people (log lines) only
 * @param ticker a clock that never steps ({@link MonotonicClock}), for every duration: idle
 *     windows, heartbeat silences, backoffs, run times
 * @param timer runs timeouts, retry delays and stop escalations; its tasks must not block
 * @param launcher runs blocking backend calls (process creation)
 * @param backend where containers run
 * @param tokens issues and revokes container tokens
 * @param containers every live container of the control plane by id, for the container API
 * @param logs where container output goes
 * @param autoscaler decides container counts
 * @param containerEndpoint where containers reach the control plane (known once the server listens,
 *     before any app exists)
 * @param inputIds the source of input ids, unique within the control plane
 * @param pool containers started ahead of need
 * @param placement the backend's placement ({@link ContainerBackend#placement()}), shared by every
 *     function's containers
 * @param metrics where each function's scheduler takes its meters
 * @param activity where each function's scheduler records its recent calls
 */
public record SchedulerContext(
    ControlPlaneConfig config,
    Clock clock,
    Clock ticker,
    ScheduledExecutorService timer,
    Executor launcher,
    ContainerBackend backend,
    Tokens tokens,
    ConcurrentMap<String, Container> containers,
    LogFanout logs,
    Autoscaler autoscaler,
    Supplier<ContainerEndpoint> containerEndpoint,
    AtomicLong inputIds,
    WarmPool pool,
    Placement placement,
    Metrics metrics,
    Activity activity) {}
