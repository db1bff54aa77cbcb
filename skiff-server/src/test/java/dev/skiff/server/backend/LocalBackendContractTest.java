package dev.skiff.server.backend;

/** The contract, against the {@code local} backend as an embedded control plane makes it. */
class LocalBackendContractTest extends ContainerBackendContract {
  @Override
  String backendName() {
    return ContainerBackendProvider.DEFAULT;
  }
}
