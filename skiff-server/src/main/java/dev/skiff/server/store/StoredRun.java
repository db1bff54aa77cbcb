package dev.skiff.server.store;

import java.time.Instant;
import java.util.Optional;

/**
 * One scheduled run of a deployed app's function as stored.
 *
 * @param id the run's key
 * @param appName the app
 * @param function the scheduled function
 * @param scheduledAt the schedule's tick the run is for
 * @param startedAt when its input was submitted
 * @param finishedAt when it finished
 * @param result the serialized final result once finished
 */
public record StoredRun(
    String id,
    String appName,
    String function,
    Instant scheduledAt,
    Instant startedAt,
    Optional<Instant> finishedAt,
    Optional<byte[]> result) {}
