package dev.skiff.server.backend;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Where and whether a container fits: a backend's answer to "may one more container of this {@link
 * ResourceRequest} start now?". The control plane asks it before each container start ({@link
 * #place}), gives back what a container held when it exits ({@link #release}), and refuses an app
 * up front whose request {@link #neverFits}. Got from {@link ContainerBackend#placement()}.
 *
 * <p>The local backend places on its one node: CPU and memory requests are reserved against the
 * node's capacity, whole GPUs are handed to one container each, and a container that does not fit
 * waits, with the reason, until capacity is released. A cluster backend defers to its cluster's
 * scheduler instead: it places every request at once ({@link #unbounded()}) and lets the cluster
 * keep a container pending until a node has room.
 *
 * <p>Implementations are thread-safe. The control plane calls them under its own locks, so they
 * never call out (except {@link #announceRelease()}, which the control plane calls outside its
 * locks).
 */
public interface Placement {
  /** The outcome of trying to place one container. */
  sealed interface Outcome permits Placed, Waiting {}

  /** Placed: the container holds {@code reservation} until it exits. */
  record Placed(Reservation reservation) implements Outcome {}

  /** Not placed now, and why, e.g. "needs 4096 MiB, 2048 MiB free". */
  record Waiting(String reason) implements Outcome {}

  /**
   * What one container holds.
   *
   * @param milliCpus thousandths of a core reserved
   * @param memoryMib memory reserved, in MiB
   * @param gpuType the type of its GPUs (empty when it has none)
   * @param gpuIndexes the device indexes of its GPUs, ascending; the container sees only these
   */
  record Reservation(long milliCpus, long memoryMib, String gpuType, List<Integer> gpuIndexes) {
    /** Copies the list. */
    public Reservation {
      gpuIndexes = List.copyOf(gpuIndexes);
    }

    /** Nothing held. */
    public static final Reservation NONE = new Reservation(0, 0, "", List.of());
  }

  /**
   * Why a request can never be placed (too big, a GPU type or region nowhere offered), or empty.
   */
  Optional<String> neverFits(ResourceRequest request);

  /** Reserves what one container of {@code request} needs, or says why it does not fit now. */
  Outcome place(ResourceRequest request);

  /** Gives back what a container held. */
  void release(Reservation reservation);

  /**
   * Whether the nodes containers are placed on have GPUs at all: there, a container without GPUs is
   * told to see none ({@code CUDA_VISIBLE_DEVICES} empty).
   */
  boolean hasGpus();

  /**
   * Sets what {@link #announceRelease()} runs: the control plane tries again to place the
   * containers that waited for capacity.
   */
  void onRelease(Runnable action);

  /**
   * Says that capacity was given back; called after {@link #release}, outside every lock, so that
   * containers waiting for room are placed at once rather than at the next housekeeping tick.
   */
  void announceRelease();

  /**
   * A placement that places every request at once and reserves nothing, offering no GPUs of its
   * own: for a backend whose containers are placed by someone else (a cluster's scheduler), or that
   * keeps no account of capacity.
   */
  static Placement unbounded() {
    return unbounded(request -> Optional.empty());
  }

  /**
   * As {@link #unbounded()}, refusing the requests that {@code neverFits} says no node could ever
   * hold (e.g. judged from a cluster's node inventory).
   */
  static Placement unbounded(Function<ResourceRequest, Optional<String>> neverFits) {
    return new Placement() {
      @Override
      public Optional<String> neverFits(ResourceRequest request) {
        return neverFits.apply(request);
      }

      @Override
      public Outcome place(ResourceRequest request) {
        return new Placed(Reservation.NONE);
      }

      @Override
      public void release(Reservation reservation) {}

      @Override
      public boolean hasGpus() {
        return false;
      }

      @Override
      public void onRelease(Runnable action) {}

      @Override
      public void announceRelease() {}
    };
  }
}
