package dev.skiff.server.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The contract, against the test-only {@code plain} backend, chosen by name as a real one is. */
class PlainBackendContractTest extends ContainerBackendContract {
  @Override
  String backendName() {
    return PlainProcessBackend.NAME;
  }

  @Test
  void lacksEveryCapability() {
    for (Capability c : Capability.values()) {
      assertThat(
              ContainerBackendProvider.named(backendName()).create(config()).capabilities().has(c))
          .isFalse();
    }
  }

  @Test
  void anUnknownBackendIsRefusedListingTheAvailableOnes() {
    assertThatThrownBy(() -> ContainerBackendProvider.named("nomad"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown container backend 'nomad'; available: local, plain");
  }
}
