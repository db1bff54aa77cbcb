package dev.skiff.server.store;

import com.google.protobuf.ByteString;
import java.time.Instant;
import java.util.Optional;

/**
 * A spawned call as stored. Its definition and arguments are immutable bytes, so that a store in
 * memory keeps the arguments a queued input holds anyway rather than a copy of them.
 *
 * @param id the call id
 * @param appName the app it was spawned on
 * @param deployed whether that app was deployed (only those calls are re-queued after a restart)
 * @param function the function's name
 * @param definition the serialized definition of the function, to decode the result by
 * @param args the encoded arguments (empty once finished: they are not kept past the result)
 * @param createdAt when the spawn was accepted
 * @param result the serialized result once finished
 * @param finishedAt when the result was stored
 */
public record StoredCall(
    String id,
    String appName,
    boolean deployed,
    String function,
    ByteString definition,
    ByteString args,
    Instant createdAt,
    Optional<byte[]> result,
    Optional<Instant> finishedAt) {}
