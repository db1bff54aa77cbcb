package dev.skiff.server.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.server.backend.ContainerHandle.Usage;
import org.junit.jupiter.api.Test;

class ProcessTreeUsageTest {
  @Test
  void readsUserAndSystemTimeAfterACommandWithSpacesAndParentheses() {
    String stat =
        "4242 (java (a) b) S 1 4242 4242 0 -1 4194560 2571 0 0 0 150 25 0 0 20 0 21 0 1234"
            + " 3000000000 40000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
    assertThat(ProcessTreeUsage.cpuTicks(stat)).isEqualTo(175);
    assertThat(ProcessTreeUsage.residentPages("812345 40000 5000 1 0 300000 0\n")).isEqualTo(40000);
  }

  @Test
  void aLiveProcessTreeHasUsedCpuAndHoldsMemory() {
    Usage usage = ProcessTreeUsage.of(ProcessHandle.current()).orElseThrow();
    assertThat(usage.cpuMillis()).isPositive();
    assertThat(usage.memoryBytes()).isGreaterThan(1024 * 1024);
  }
}
