package dev.skiff.server.backend.kubernetes;

import dev.skiff.server.backend.ResourceRequest;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the cluster's nodes offer, as last listed: each node's allocatable CPU, memory and {@code
 * nvidia.com/gpu} devices, its GPU product ({@value #GPU_PRODUCT}) and region ({@value #REGION}).
 * Answers whether a request could ever fit some node, the way the local backend's node capacity
 * does for its one node. Immutable.
 *
 * @param nodes the nodes, in listing order
 */
record NodeInventory(List<NodeInfo> nodes) {
  /** The node label that names a node's GPU product (set by NVIDIA's GPU feature discovery). */
  static final String GPU_PRODUCT = "nvidia.com/gpu.product";

  /** The well-known node label of a node's region. */
  static final String REGION = "topology.kubernetes.io/region";

  /** The extended resource of NVIDIA GPUs. */
  static final String GPU_RESOURCE = "nvidia.com/gpu";

  /** One node. */
  record NodeInfo(
      String name, long milliCpus, long memoryMib, int gpus, String gpuProduct, String region) {}

  NodeInventory {
    nodes = List.copyOf(nodes);
  }

  /** No node known (not listed yet, or the listing failed): every request may fit. */
  static final NodeInventory UNKNOWN = new NodeInventory(List.of());

  /** The inventory of {@code nodes} as the API server lists them. */
  static NodeInventory of(List<Node> nodes) {
    List<NodeInfo> infos = new ArrayList<>();
    for (Node n : nodes) {
      Map<String, Quantity> allocatable =
          n.getStatus() == null || n.getStatus().getAllocatable() == null
              ? Map.of()
              : n.getStatus().getAllocatable();
      Map<String, String> labels =
          n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels();
      infos.add(
          new NodeInfo(
              n.getMetadata().getName(),
              amount(allocatable.get("cpu")).movePointRight(3).longValue(),
              amount(allocatable.get("memory")).divide(BigDecimal.valueOf(1024 * 1024)).longValue(),
              amount(allocatable.get(GPU_RESOURCE)).intValue(),
              labels.getOrDefault(GPU_PRODUCT, ""),
              labels.getOrDefault(REGION, "")));
    }
    return new NodeInventory(infos);
  }

  private static BigDecimal amount(Quantity q) {
    return q == null ? BigDecimal.ZERO : q.getNumericalAmount();
  }

  /**
   * The GPU product label values on known nodes that name {@code type} (compared without case), or
   * {@code type} itself when no known node has it.
   */
  List<String> productsNamed(String type) {
    Set<String> products = new LinkedHashSet<>();
    for (NodeInfo n : nodes) {
      if (n.gpuProduct().equalsIgnoreCase(type)) {
        products.add(n.gpuProduct());
      }
    }
    if (products.isEmpty()) {
      products.add(type);
    }
    return List.copyOf(products);
  }

  /**
   * Why {@code r} can never fit any node, or empty if some node could hold it (or no node is
   * known). Checks each demand against every node first (naming the one no node meets), then all of
   * them together.
   */
  Optional<String> neverFits(ResourceRequest r) {
    Optional<String> mixed = mixedGpuCounts(r);
    if (mixed.isPresent() || nodes.isEmpty()) {
      return mixed;
    }
    if (!r.regions().isEmpty() && nodes.stream().noneMatch(n -> inRegion(n, r))) {
      return Optional.of(
          "region "
              + String.join(" or ", r.regions())
              + " has no node; the nodes are in "
              + describe(nodes.stream().map(n -> "region '" + n.region() + "'").toList()));
    }
    long cpus = nodes.stream().mapToLong(NodeInfo::milliCpus).max().orElse(0);
    if (r.milliCpuRequest() > cpus) {
      return Optional.of(
          "a cpu request of "
              + ResourceRequest.cores(r.milliCpuRequest())
              + " cores can never fit: the largest node has "
              + ResourceRequest.cores(cpus));
    }
    long memory = nodes.stream().mapToLong(NodeInfo::memoryMib).max().orElse(0);
    if (r.memoryRequestMib() > memory) {
      return Optional.of(
          "a memory request of "
              + r.memoryRequestMib()
              + " MiB can never fit: the largest node has "
              + memory
              + " MiB");
    }
    if (!r.gpus().isEmpty() && nodes.stream().noneMatch(n -> hasGpus(n, r))) {
      return Optional.of(
          "gpu "
              + gpuChoices(r)
              + " is not available on any node; the nodes have "
              + describe(
                  nodes.stream()
                      .filter(n -> n.gpus() > 0)
                      .map(n -> n.gpus() + " x " + n.gpuProduct())
                      .toList()));
    }
    if (nodes.stream().noneMatch(n -> fits(n, r))) {
      return Optional.of(
          "no node has all that the request asks for at once (cpu "
              + ResourceRequest.cores(r.milliCpuRequest())
              + " cores, memory "
              + r.memoryRequestMib()
              + " MiB"
              + (r.gpus().isEmpty() ? "" : ", gpu " + gpuChoices(r))
              + (r.regions().isEmpty() ? "" : ", region " + String.join(" or ", r.regions()))
              + ")");
    }
    return Optional.empty();
  }

  /**
   * A pod asks for one number of {@code nvidia.com/gpu} whichever node it lands on, so a fallback
   * list must ask for the same count of each type.
   */
  static Optional<String> mixedGpuCounts(ResourceRequest r) {
    if (r.gpus().stream().map(ResourceRequest.GpuChoice::count).distinct().count() > 1) {
      return Optional.of(
          "gpu "
              + gpuChoices(r)
              + " asks for different GPU counts; on Kubernetes every type of a fallback list must"
              + " ask for the same count");
    }
    return Optional.empty();
  }

  private static String gpuChoices(ResourceRequest r) {
    return String.join(" or ", r.gpus().stream().map(ResourceRequest.GpuChoice::toString).toList());
  }

  /** E.g. "2 x A100 (node-a), ..." collapsed: each distinct entry once, or "none". */
  private static String describe(List<String> entries) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    entries.forEach(e -> counts.merge(e, 1, Integer::sum));
    if (counts.isEmpty()) {
      return "no GPUs";
    }
    return String.join(", ", counts.keySet());
  }

  private static boolean inRegion(NodeInfo n, ResourceRequest r) {
    return r.regions().isEmpty() || r.regions().contains(n.region());
  }

  private static boolean hasGpus(NodeInfo n, ResourceRequest r) {
    return r.gpus().stream()
        .anyMatch(g -> n.gpuProduct().equalsIgnoreCase(g.type()) && n.gpus() >= g.count());
  }

  private static boolean fits(NodeInfo n, ResourceRequest r) {
    return inRegion(n, r)
        && r.milliCpuRequest() <= n.milliCpus()
        && r.memoryRequestMib() <= n.memoryMib()
        && (r.gpus().isEmpty() || hasGpus(n, r));
  }
}
