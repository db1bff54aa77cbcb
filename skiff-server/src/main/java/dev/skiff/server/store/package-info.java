/**
 * The store SPI: what a control plane keeps beyond one request, as one repository per concern
 * ({@link dev.skiff.server.store.CallStore spawned calls}, {@link
 * dev.skiff.server.store.DeploymentStore deployed apps}, {@link dev.skiff.server.store.RunStore
 * scheduled runs}, {@link dev.skiff.server.store.LogStore deployed apps' log lines}, {@link
 * dev.skiff.server.store.TokenStore the API and web tokens}) gathered by {@link
 * dev.skiff.server.store.Store}, the {@link dev.skiff.server.store.SharedBytes bytes that control
 * planes on one store share} (jars, blobs, image recipes), the records they hold ({@code Stored*}),
 * and {@link dev.skiff.server.store.InMemoryStore}, the implementation an embedded control plane
 * uses.
 *
 * <p>Owns the shape of stored state, not its meaning: repositories keep encoded bytes (requests,
 * results, log lines) that the control plane encodes and decodes. May use the JDK and protobuf's
 * {@code ByteString} only; never the control plane ({@code dev.skiff.server}) or a database driver.
 * Implementations that need a database live in sub-packages ({@link dev.skiff.server.store.sqlite},
 * with the JDBC writer they can share in {@link dev.skiff.server.store.jdbc}). Internal to the
 * server.
 */
package dev.skiff.server.store;
