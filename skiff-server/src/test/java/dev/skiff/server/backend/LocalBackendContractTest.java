package dev.skiff.server.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The contract, against the {@code local} backend as an embedded control plane makes it. */
class LocalBackendContractTest extends ContainerBackendContract {
  @Override
  String backendName() {
    return ContainerBackendProvider.DEFAULT;
  }

  @Test
  void advertisesTheControlSocketItself() {
    try (ContainerBackend local = ContainerBackendProvider.named(backendName()).create(config())) {
      assertThat(local.advertisedEndpoint(Path.of("/run/skiff/control.sock")))
          .isEqualTo("unix:/run/skiff/control.sock");
    }
  }
}
