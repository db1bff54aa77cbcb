package dev.skiff.server.backend.local;

import dev.skiff.internal.spi.NodeConfig;
import dev.skiff.server.backend.Placement;
import dev.skiff.server.backend.ResourceRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The node's capacity and what containers hold of it. A container is placed only when its
 * function's {@link ResourceRequest} fits what is free: its CPU and memory requests are reserved,
 * and whole GPUs of the first type in its fallback list that has enough free devices are handed to
 * it alone. What a container holds is released when it exits. A request that fits no node at all
 * (too big, a GPU type or region the node lacks) is refused when its app is created. The local
 * backend's {@link Placement}.
 *
 * <p>Thread-safe: one lock guards what is reserved. Schedulers call it under their own lock; it
 * never calls out.
 */
public final class NodeCapacity implements Placement {
  private final NodeConfig node;
  private final long milliCpus;

  private final ReentrantLock lock = new ReentrantLock();
  // Guarded by lock.
  private long reservedMilliCpus;
  private long reservedMemoryMib;
  private final boolean[] gpuTaken;
  private volatile Runnable onRelease = () -> {};

  /** The capacity of {@code node}, nothing reserved yet. */
  public NodeCapacity(NodeConfig node) {
    this.node = node;
    this.milliCpus = Math.round(node.cpus() * 1000);
    this.gpuTaken = new boolean[node.gpus().size()];
  }

  /** The node's settings. */
  public NodeConfig node() {
    return node;
  }

  /** Why a request can never be placed on this node (the only one), or empty if it can. */
  @Override
  public Optional<String> neverFits(ResourceRequest r) {
    if (!r.regions().isEmpty() && !r.regions().contains(node.region())) {
      return Optional.of(
          "region "
              + String.join(" or ", r.regions())
              + " has no node; the only node is in region '"
              + node.region()
              + "'");
    }
    if (r.milliCpuRequest() > milliCpus) {
      return Optional.of(
          "a cpu request of "
              + ResourceRequest.cores(r.milliCpuRequest())
              + " cores can never fit: the node has "
              + ResourceRequest.cores(milliCpus));
    }
    if (r.memoryRequestMib() > node.memoryMib()) {
      return Optional.of(
          "a memory request of "
              + r.memoryRequestMib()
              + " MiB can never fit: the node has "
              + node.memoryMib()
              + " MiB");
    }
    if (!r.gpus().isEmpty() && r.gpus().stream().noneMatch(g -> devicesOf(g.type()) >= g.count())) {
      return Optional.of(
          "gpu "
              + String.join(
                  " or ", r.gpus().stream().map(ResourceRequest.GpuChoice::toString).toList())
              + " is not available on any node; the node has "
              + inventory());
    }
    return Optional.empty();
  }

  /** Reserves what one container of {@code r} needs, or says why it does not fit now. */
  @Override
  public Outcome place(ResourceRequest r) {
    lock.lock();
    try {
      List<String> lacking = new ArrayList<>();
      long freeCpu = milliCpus - reservedMilliCpus;
      if (r.milliCpuRequest() > freeCpu) {
        lacking.add(
            "needs "
                + ResourceRequest.cores(r.milliCpuRequest())
                + " CPU core(s), "
                + ResourceRequest.cores(Math.max(0, freeCpu))
                + " free");
      }
      long freeMemory = node.memoryMib() - reservedMemoryMib;
      if (r.memoryRequestMib() > freeMemory) {
        lacking.add(
            "needs " + r.memoryRequestMib() + " MiB, " + Math.max(0, freeMemory) + " MiB free");
      }
      String gpuType = "";
      List<Integer> gpus = List.of();
      if (!r.gpus().isEmpty()) {
        Optional<ResourceRequest.GpuChoice> fits =
            r.gpus().stream().filter(g -> freeDevicesOf(g.type()).size() >= g.count()).findFirst();
        if (fits.isPresent()) {
          gpuType = fits.get().type();
          gpus = freeDevicesOf(gpuType).subList(0, fits.get().count());
        } else {
          lacking.add(
              "needs "
                  + String.join(
                      " or ", r.gpus().stream().map(ResourceRequest.GpuChoice::toString).toList())
                  + " GPU(s), "
                  + freeGpus()
                  + " free");
        }
      }
      if (!lacking.isEmpty()) {
        return new Waiting(String.join("; ", lacking));
      }
      reservedMilliCpus += r.milliCpuRequest();
      reservedMemoryMib += r.memoryRequestMib();
      for (int i : gpus) {
        gpuTaken[i] = true;
      }
      return new Placed(new Reservation(r.milliCpuRequest(), r.memoryRequestMib(), gpuType, gpus));
    } finally {
      lock.unlock();
    }
  }

  /**
   * Sets what {@link #announceRelease()} runs: the control plane tries again to place the
   * containers that waited for capacity.
   */
  @Override
  public void onRelease(Runnable action) {
    onRelease = action;
  }

  /**
   * Says that capacity was given back; called after {@link #release}, outside every lock, so that
   * containers waiting for room are placed at once rather than at the next housekeeping tick.
   */
  @Override
  public void announceRelease() {
    onRelease.run();
  }

  /** Gives back what a container held. */
  @Override
  public void release(Reservation reservation) {
    lock.lock();
    try {
      reservedMilliCpus -= reservation.milliCpus();
      reservedMemoryMib -= reservation.memoryMib();
      for (int i : reservation.gpuIndexes()) {
        gpuTaken[i] = false;
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean hasGpus() {
    return !node.gpus().isEmpty();
  }

  private int devicesOf(String type) {
    return (int) node.gpus().stream().filter(t -> t.equalsIgnoreCase(type)).count();
  }

  /** Free devices of {@code type}, by ascending index; under the lock. */
  private List<Integer> freeDevicesOf(String type) {
    List<Integer> free = new ArrayList<>();
    for (int i = 0; i < gpuTaken.length; i++) {
      if (!gpuTaken[i] && node.gpus().get(i).equalsIgnoreCase(type)) {
        free.add(i);
      }
    }
    return free;
  }

  /** E.g. "0 of 2 A100" or "none (the node has no GPUs)"; under the lock. */
  private String freeGpus() {
    if (gpuTaken.length == 0) {
      return "none (the node has no GPUs)";
    }
    Map<String, int[]> byType = new LinkedHashMap<>();
    for (int i = 0; i < gpuTaken.length; i++) {
      int[] counts = byType.computeIfAbsent(node.gpus().get(i), t -> new int[2]);
      counts[1]++;
      if (!gpuTaken[i]) {
        counts[0]++;
      }
    }
    List<String> parts = new ArrayList<>();
    byType.forEach((type, c) -> parts.add(c[0] + " of " + c[1] + " " + type));
    return String.join(", ", parts);
  }

  /** E.g. "2 x A100" or "no GPUs". */
  private String inventory() {
    if (node.gpus().isEmpty()) {
      return "no GPUs";
    }
    Map<String, Integer> byType = new LinkedHashMap<>();
    node.gpus().forEach(t -> byType.merge(t, 1, Integer::sum));
    List<String> parts = new ArrayList<>();
    byType.forEach((type, n) -> parts.add(n + " x " + type));
    return String.join(", ", parts);
  }
}
