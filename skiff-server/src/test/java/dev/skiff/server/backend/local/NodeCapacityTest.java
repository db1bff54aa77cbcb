package dev.skiff.server.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.internal.spi.NodeConfig;
import dev.skiff.server.backend.Placement;
import dev.skiff.server.backend.ResourceRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeCapacityTest {
  private final NodeCapacity node =
      new NodeCapacity(new NodeConfig(2, 4096, "local", List.of("A100", "T4", "A100")));

  private static ResourceRequest request(long milliCpu, long memoryMib, String... gpus) {
    return new ResourceRequest(
        milliCpu,
        0,
        memoryMib,
        0,
        List.of(gpus).stream().map(ResourceRequest.GpuChoice::parse).toList(),
        List.of());
  }

  private Placement.Reservation placed(ResourceRequest r) {
    Placement.Outcome p = node.place(r);
    assertThat(p).isInstanceOf(Placement.Placed.class);
    return ((Placement.Placed) p).reservation();
  }

  @Test
  void memoryIsReservedUntilReleasedAndAContainerThatDoesNotFitSaysWhy() {
    Placement.Reservation first = placed(request(0, 2048));
    placed(request(0, 1024));
    assertThat(node.place(request(0, 2048)))
        .isEqualTo(new Placement.Waiting("needs 2048 MiB, 1024 MiB free"));
    node.release(first);
    placed(request(0, 2048));
  }

  @Test
  void cpuIsReservedInThousandthsOfACore() {
    placed(request(1500, 0));
    assertThat(node.place(request(1000, 0)))
        .isEqualTo(new Placement.Waiting("needs 1 CPU core(s), 0.5 free"));
    placed(request(500, 0));
  }

  @Test
  void gpusFallBackInOrderAndAreNeverShared() {
    Placement.Reservation a = placed(request(0, 0, "H100", "A100"));
    assertThat(a.gpuType()).isEqualTo("A100");
    assertThat(a.gpuIndexes()).containsExactly(0);
    assertThat(placed(request(0, 0, "A100")).gpuIndexes()).containsExactly(2);
    assertThat(node.place(request(0, 0, "H100", "A100")))
        .isEqualTo(
            new Placement.Waiting(
                "needs 1 x H100 or 1 x A100 GPU(s), 0 of 2 A100, 1 of 1 T4 free"));
    node.release(a);
    assertThat(placed(request(0, 0, "a100:1")).gpuIndexes()).containsExactly(0);
  }

  @Test
  void requestsThatCanNeverFitAreNamed() {
    assertThat(node.neverFits(request(4000, 0)))
        .hasValue("a cpu request of 4 cores can never fit: the node has 2");
    assertThat(node.neverFits(request(0, 8192)))
        .hasValue("a memory request of 8192 MiB can never fit: the node has 4096 MiB");
    assertThat(node.neverFits(request(0, 0, "A100:3", "H100")))
        .hasValue(
            "gpu 3 x A100 or 1 x H100 is not available on any node; the node has 2 x A100, 1 x T4");
    assertThat(node.neverFits(request(0, 0, "H100", "T4"))).isEmpty();
    assertThat(
            node.neverFits(
                new ResourceRequest(0, 0, 0, 0, List.of(), List.of("eu-west-1", "us-east-1"))))
        .hasValue("region eu-west-1 or us-east-1 has no node; the only node is in region 'local'");
    assertThat(node.neverFits(new ResourceRequest(0, 0, 0, 0, List.of(), List.of("local"))))
        .isEmpty();
  }
}
