package dev.skiff.server.store;

import java.time.Instant;

/**
 * A web token as stored: everything but its secret.
 *
 * @param keyId the token's public id, sent in the {@code Skiff-Key} header
 * @param name a label for people; may be empty
 * @param createdAt when it was created
 * @param secretSha256 the SHA-256 digest of its secret
 */
public record StoredWebToken(String keyId, String name, Instant createdAt, byte[] secretSha256) {}
