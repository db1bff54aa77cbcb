package dev.skiff.server;

import dev.skiff.internal.spi.ControlPlaneFactory;
import dev.skiff.internal.spi.EmbeddedConfig;
import dev.skiff.internal.spi.EmbeddedControlPlane;
import dev.skiff.server.backend.BackendConfig;
import dev.skiff.server.backend.ContainerBackend;
import dev.skiff.server.backend.ContainerBackendProvider;
import dev.skiff.server.deploy.JarStore;
import dev.skiff.server.files.VolumeStore;
import dev.skiff.server.image.ImageStore;
import dev.skiff.server.runtime.ControlPlaneConfig;
import java.time.Clock;

/**
 * Starts a control plane inside the calling JVM, with containers as local child processes (the
 * {@value ContainerBackendProvider#DEFAULT} backend, chosen through the backend SPI). The SDK finds
 * this class with {@link java.util.ServiceLoader} when {@code App.run()} has no server configured;
 * it is not meant to be called directly.
 */
public final class EmbeddedControlPlaneFactory implements ControlPlaneFactory {
  /** For {@link java.util.ServiceLoader}. */
  public EmbeddedControlPlaneFactory() {}

  /**
   * Starts a control plane on a free loopback port.
   *
   * @throws java.io.UncheckedIOException if it cannot listen
   */
  @Override
  public EmbeddedControlPlane start(EmbeddedConfig config) {
    ContainerBackend backend =
        ContainerBackendProvider.named(ContainerBackendProvider.DEFAULT)
            .create(
                BackendConfig.embedded(
                    config.sandbox(),
                    config.sharedDirectories(),
                    config.containerJvmOptions(),
                    config.node(),
                    name -> VolumeStore.directory(config.dataDir(), name),
                    ImageStore.resolver(config.buildDirectory()),
                    sha256 -> JarStore.file(config.dataDir(), sha256)));
    try {
      return ControlPlane.start(ControlPlaneConfig.from(config), backend, Clock.systemUTC());
    } catch (RuntimeException e) {
      backend.close();
      throw e;
    }
  }
}
