package dev.skiff.server.store;

import java.time.Instant;

/**
 * A deployed app as stored.
 *
 * @param name the app's name (unique)
 * @param version 1 for the first deployment of the name, one more for each redeployment
 * @param deployedAt when this version was deployed
 * @param definition the serialized deploy request
 */
public record StoredApp(String name, long version, Instant deployedAt, byte[] definition) {}
