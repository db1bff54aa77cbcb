package dev.skiff.server.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.server.backend.Resources;
import org.junit.jupiter.api.Test;

class ResourceLimitFlagsTest {
  @Test
  void memoryLimitSizesTheHeapAndCpuLimitTheProcessorCount() {
    assertThat(JvmCommand.resourceLimitFlags(new Resources(500, 1500, 256, 1024)))
        .containsExactly("-Xmx768m", "-XX:ActiveProcessorCount=2");
  }

  @Test
  void requestsAloneSetNoFlags() {
    assertThat(JvmCommand.resourceLimitFlags(new Resources(500, 0, 256, 0))).isEmpty();
    assertThat(JvmCommand.resourceLimitFlags(Resources.NONE)).isEmpty();
  }
}
