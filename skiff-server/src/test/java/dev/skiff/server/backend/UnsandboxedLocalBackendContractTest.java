package dev.skiff.server.backend;

import java.util.List;

/** The contract, against the {@code local} backend told not to sandbox (fewer capabilities). */
class UnsandboxedLocalBackendContractTest extends ContainerBackendContract {
  @Override
  String backendName() {
    return ContainerBackendProvider.DEFAULT;
  }

  @Override
  BackendConfig config() {
    return BackendConfig.embedded(false, List.of(), List.of(), NODE, volumes(), images(), jars());
  }
}
