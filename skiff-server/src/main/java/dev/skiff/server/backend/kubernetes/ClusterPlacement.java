package dev.skiff.server.backend.kubernetes;

import dev.skiff.server.backend.Placement;
import dev.skiff.server.backend.ResourceRequest;
import java.util.Optional;

/**
 * The Kubernetes backend's {@link Placement}: the cluster's scheduler places pods, so every request
 * is placed at once and reserves nothing; a pod that no node has room for yet stays pending, and
 * its handle says why ({@link PodContainer#waitingReason()}). A request that no node could ever
 * hold is refused up front from the last node listing ({@link NodeInventory#neverFits}).
 *
 * <p>Thread-safe: the inventory is replaced whole; nothing here calls out.
 */
final class ClusterPlacement implements Placement {
  private volatile NodeInventory inventory = NodeInventory.UNKNOWN;

  /** Replaces the node inventory with a newer listing. */
  void update(NodeInventory newer) {
    inventory = newer;
  }

  NodeInventory inventory() {
    return inventory;
  }

  @Override
  public Optional<String> neverFits(ResourceRequest request) {
    return inventory.neverFits(request);
  }

  @Override
  public Outcome place(ResourceRequest request) {
    return new Placed(Reservation.NONE);
  }

  @Override
  public void release(Reservation reservation) {}

  /** False: the device plugin hands a pod only the GPUs it asked for, so none need hiding. */
  @Override
  public boolean hasGpus() {
    return false;
  }

  @Override
  public void onRelease(Runnable action) {}

  @Override
  public void announceRelease() {}
}
