package dev.skiff.server.store;

import java.time.Instant;
import java.util.Optional;

/**
 * A spawned call as stored.
 *
 * @param id the call id
 * @param appName the app it was spawned on
 * @param deployed whether that app was deployed (only those calls are re-queued after a restart)
 * @param function the function's name
 * @param definition the serialized definition of the function, to decode the result by
 * @param args the encoded arguments
 * @param createdAt when the spawn was accepted
 * @param result the serialized result once finished
 * @param finishedAt when the result was stored
 */
public record StoredCall(
    String id,
    String appName,
    boolean deployed,
    String function,
    byte[] definition,
    byte[] args,
    Instant createdAt,
    Optional<byte[]> result,
    Optional<Instant> finishedAt) {}
