package dev.skiff.server.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ResourceLimitFlagsTest {
  @Test
  void memoryLimitSizesTheHeapAndCpuLimitTheProcessorCount() {
    assertThat(
            LocalProcessBackend.resourceLimitFlags(
                Map.of("SKIFF_MEMORY_LIMIT_MIB", "1024", "SKIFF_CPU_LIMIT", "1.5")))
        .containsExactly("-Xmx768m", "-XX:ActiveProcessorCount=2");
  }

  @Test
  void noLimitsNoFlags() {
    assertThat(LocalProcessBackend.resourceLimitFlags(Map.of("SKIFF_APP_ID", "ap-1"))).isEmpty();
  }
}
