package dev.skiff.internal.spi;

/**
 * Starts an in-process control plane. The SDK finds the implementation (in {@code skiff-server})
 * with {@link java.util.ServiceLoader} when {@code App.run()} finds no configured server.
 */
public interface ControlPlaneFactory {
  /** Starts a control plane on a free loopback port; it runs until closed. */
  EmbeddedControlPlane start(EmbeddedConfig config);
}
