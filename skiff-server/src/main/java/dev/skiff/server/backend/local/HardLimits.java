package dev.skiff.server.backend.local;

import dev.skiff.server.backend.ContainerHandle;
import dev.skiff.server.backend.ContainerSpec;
import dev.skiff.server.backend.ContainerStartException;
import dev.skiff.server.backend.Resources;
import java.io.IOException;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The limits step of starting a local container: the control groups that make its memory, CPU and
 * pids limits hard, where this machine lets this process create them (detected at the first limited
 * container). Thread-safe.
 */
final class HardLimits implements AutoCloseable {
  // Guards cgroups.
  private final Object lock = new Object();
  private Optional<CgroupLimits> cgroups;
  private final int pidsLimit;

  /**
   * @param pidsLimit the most processes and threads of each container (0: no limit)
   */
  HardLimits(int pidsLimit) {
    this.pidsLimit = pidsLimit;
  }

  /**
   * The control groups of a container, empty for one without limits or where control groups are not
   * available.
   *
   * @throws ContainerStartException if they could not be created
   */
  Optional<CgroupLimits.Group> groupFor(ContainerSpec spec) {
    Resources r = spec.resources();
    OptionalLong memory =
        r.memoryLimitMib() > 0 ? OptionalLong.of(r.memoryLimitMib()) : OptionalLong.empty();
    OptionalDouble cpu =
        r.milliCpuLimit() > 0 ? OptionalDouble.of(r.cpuLimitCores()) : OptionalDouble.empty();
    OptionalInt pids = pidsLimit > 0 ? OptionalInt.of(pidsLimit) : OptionalInt.empty();
    if (memory.isEmpty() && cpu.isEmpty() && pids.isEmpty()) {
      return Optional.empty();
    }
    Optional<CgroupLimits> limits;
    synchronized (lock) {
      if (cgroups == null) {
        cgroups = CgroupLimits.detect();
      }
      limits = cgroups;
    }
    if (limits.isEmpty()) {
      return Optional.empty();
    }
    try {
      return limits.get().create(spec.containerId(), memory, cpu, pids);
    } catch (IOException | RuntimeException e) {
      throw new ContainerStartException(
          "could not create the control groups that limit container "
              + spec.containerId()
              + ": "
              + e,
          e);
    }
  }

  /** Says why a container the kernel ended for its memory limit died, then drops its groups. */
  static void afterExit(LocalContainer container, CgroupLimits.Group group, ContainerSpec spec) {
    if (group.oomKilled()) {
      container.rememberStderr(
          ContainerHandle.KILLED_FOR_MEMORY
              + ": the kernel ended the container at its memory limit of "
              + spec.resources().memoryLimitMib()
              + " MiB");
    }
    group.remove();
  }

  @Override
  public void close() {
    synchronized (lock) {
      if (cgroups != null) {
        cgroups.ifPresent(CgroupLimits::close);
      }
    }
  }
}
