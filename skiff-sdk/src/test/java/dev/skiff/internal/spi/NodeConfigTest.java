package dev.skiff.internal.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class NodeConfigTest {
  @Test
  void gpuTypeIsReadFromTheNameNvidiaSmiPrints() {
    assertThat(NodeConfig.gpuType("NVIDIA H100 80GB HBM3")).isEqualTo("H100");
    assertThat(NodeConfig.gpuType("NVIDIA A100-SXM4-80GB")).isEqualTo("A100");
    assertThat(NodeConfig.gpuType("Tesla T4")).isEqualTo("T4");
    assertThat(NodeConfig.gpuType("NVIDIA L40S")).isEqualTo("L40S");
    assertThat(NodeConfig.gpuType("NVIDIA A10G")).isEqualTo("A10G");
  }

  @Test
  void detectedNodeIsThisMachineInRegionLocal() {
    NodeConfig node = NodeConfig.detect();
    assertThat(node.cpus()).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(node.memoryMib()).isPositive();
    assertThat(node.region()).isEqualTo("local");
  }

  @Test
  void invalidValuesAreRefused() {
    assertThatThrownBy(() -> new NodeConfig(0, 1024, "local", List.of()))
        .hasMessage("node cpus must be > 0, was 0.0");
    assertThatThrownBy(() -> new NodeConfig(1, 1024, "EU West", List.of()))
        .hasMessageContaining("node region 'EU West' is not allowed");
  }
}
