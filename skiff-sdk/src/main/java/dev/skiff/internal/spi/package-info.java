/**
 * The seam between the SDK and an embedded control plane, internal: the SDK finds a {@link
 * dev.skiff.internal.spi.ControlPlaneFactory} with {@link java.util.ServiceLoader} (the server
 * module provides one) and starts an {@link dev.skiff.internal.spi.EmbeddedControlPlane} from an
 * {@link dev.skiff.internal.spi.EmbeddedConfig} and a {@link dev.skiff.internal.spi.NodeConfig}, so
 * the SDK does not depend on the server at compile time. No compatibility is promised.
 *
 * <p><b>May use:</b> nothing of Skiff but itself.
 */
package dev.skiff.internal.spi;
