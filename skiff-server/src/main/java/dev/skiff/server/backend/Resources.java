package dev.skiff.server.backend;

import java.util.List;

/**
 * What one container reserves of the machine it runs on and what it may use at most; its GPUs are
 * in its {@link ContainerSpec.Reach}.
 *
 * @param milliCpuRequest thousandths of a core reserved (0: none)
 * @param milliCpuLimit thousandths of a core it may use at most (0: no limit)
 * @param memoryRequestMib memory reserved, in MiB (0: none)
 * @param memoryLimitMib memory it may use at most, in MiB (0: no limit)
 * @param gpus its function's GPU choices, most preferred first (empty: none): for a backend whose
 *     cluster places containers itself; a backend that places on its own node hands GPUs through
 *     {@link ContainerSpec.Reach#gpus()} instead
 * @param regions the regions whose nodes may run it (empty: any), for such a backend too
 */
public record Resources(
    long milliCpuRequest,
    long milliCpuLimit,
    long memoryRequestMib,
    long memoryLimitMib,
    List<ResourceRequest.GpuChoice> gpus,
    List<String> regions) {
  /** Nothing reserved, no limits. */
  public static final Resources NONE = new Resources(0, 0, 0, 0);

  /** CPU and memory only: no GPUs, any region. */
  public Resources(
      long milliCpuRequest, long milliCpuLimit, long memoryRequestMib, long memoryLimitMib) {
    this(milliCpuRequest, milliCpuLimit, memoryRequestMib, memoryLimitMib, List.of(), List.of());
  }

  /** Rejects negative figures; copies the lists. */
  public Resources {
    gpus = List.copyOf(gpus);
    regions = List.copyOf(regions);
    if (milliCpuRequest < 0 || milliCpuLimit < 0 || memoryRequestMib < 0 || memoryLimitMib < 0) {
      throw new IllegalArgumentException(
          "container resources must not be negative: cpu "
              + milliCpuRequest
              + "/"
              + milliCpuLimit
              + " millicores, memory "
              + memoryRequestMib
              + "/"
              + memoryLimitMib
              + " MiB");
    }
  }

  /** The CPU limit in cores, e.g. 1.5, when there is one. */
  public double cpuLimitCores() {
    return milliCpuLimit / 1000.0;
  }
}
