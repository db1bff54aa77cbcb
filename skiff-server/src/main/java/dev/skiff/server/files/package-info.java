/**
 * Files that calls carry and that containers mount, internal: content-addressed blobs of large
 * arguments and results ({@code BlobStore}) and named volumes ({@code VolumeStore}, {@code
 * VolumeWork}), each kept inside its directory ({@code ConfinedTree}).
 *
 * <p><b>Owns:</b> the blob and volume directories under the data directory.
 *
 * <p><b>May use:</b> {@code common}; {@code store} for its {@code SharedBytes} only (the blobs that
 * replicas on one store share).
 */
package dev.skiff.server.files;
