package dev.skiff.server.backend.local;

import dev.skiff.server.backend.BackendConfig;
import dev.skiff.server.backend.ContainerBackend;
import dev.skiff.server.backend.ContainerBackendProvider;

/**
 * The {@value ContainerBackendProvider#DEFAULT} backend: containers as child JVMs of this process
 * ({@link LocalProcessBackend}), sandboxed where bubblewrap works. Available wherever this JVM
 * runs; without a sandbox it has fewer capabilities, and a server's refuses to be made unless its
 * operator allowed unsandboxed containers.
 */
public final class LocalBackendProvider extends ContainerBackendProvider {
  /** For {@link java.util.ServiceLoader}. */
  public LocalBackendProvider() {}

  @Override
  public String name() {
    return ContainerBackendProvider.DEFAULT;
  }

  @Override
  public boolean isAvailable() {
    return true;
  }

  @Override
  public int priority() {
    return 5;
  }

  @Override
  public ContainerBackend create(BackendConfig config) {
    return switch (config.role()) {
      case SERVER ->
          LocalProcessBackend.forServer(
                  config.allowUnsandboxed(),
                  config.containerJvmOptions(),
                  config.node(),
                  config.volumes(),
                  config.images(),
                  config.jars())
              .withContainerLimits(config.defaultMemoryLimitMib(), config.pidsLimit());
      case EMBEDDED ->
          LocalProcessBackend.create(
                  config.sandboxed(),
                  config.sharedDirectories(),
                  config.containerJvmOptions(),
                  config.node(),
                  config.volumes(),
                  config.images(),
                  config.jars())
              .withContainerLimits(config.defaultMemoryLimitMib(), config.pidsLimit());
    };
  }
}
