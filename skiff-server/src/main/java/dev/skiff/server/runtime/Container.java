package dev.skiff.server.runtime;

import dev.skiff.proto.Bind;
import dev.skiff.server.backend.ContainerHandle;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;

/**
 * The control plane's view of one container of a function: its lifecycle phase, its control stream,
 * and the attempts occupying its slots. Mutable state is guarded by the owning {@link
 * FunctionScheduler}'s lock. What the container reports goes to {@link #scheduler}, the function's
 * {@link ContainerEvents} port; operators reach the function through {@link #function()}.
 */
public final class Container {
  /** Where a container is in its life. */
  enum Phase {
    /** Created; its process starts, connects and initialises the user's code. */
    STARTING,
    /** Took {@code ready}: receives inputs (idle or busy by its slots). */
    READY,
    /** Told to stop, killed, or failed to start; takes no inputs; its exit is awaited. */
    STOPPING
  }

  public final String id;
  public final String token;

  /** The scheduler of the container's function, as its containers see it. */
  public final ContainerEvents scheduler;

  private final FunctionInputs function;

  final int slots;
  final Instant createdAt;

  // Guarded by the function's lock.
  Phase phase = Phase.STARTING;

  /** Set once the backend has created the container. */
  Optional<ContainerHandle> handle = Optional.empty();

  /** The function a container taken from the warm pool is to serve, until it has been sent. */
  Optional<Bind> pendingBind = Optional.empty();

  /** Taken from the warm pool rather than started for the function (no cold start). */
  boolean fromWarmPool;

  /** Set once the container said hello. */
  Optional<ContainerChannel> channel = Optional.empty();

  /** Every attempt assigned to it and not yet answered: running ones and prefetched ones. */
  final Map<Attempt.Key, Attempt> attempts = new LinkedHashMap<>();

  /**
   * Attempts sent ahead of a free slot, in the order the container will start them (it runs its
   * assignments first come, first served). They have no timer until they are presumed to start,
   * which is when an earlier attempt's output frees a slot.
   */
  final ArrayDeque<Attempt> prefetched = new ArrayDeque<>();

  Instant idleSince;
  Instant lastSeen;
  boolean everReady;

  /** The control plane asked it to stop (scale-down, app stop): its exit is no failure. */
  boolean stopRequested;

  /** Its failed start was already counted (init_failed or startup timeout before the exit). */
  boolean startFailureCounted;

  Optional<String> killReason = Optional.empty();
  ScheduledFuture<?> startupTimer;

  /** The rate limit on the container's log lines; thread-safe, guarded by itself. */
  final LogRateLimiter logRate;

  Container(String id, String token, FunctionCore scheduler, int slots, Instant createdAt) {
    this.id = id;
    this.token = token;
    this.scheduler = scheduler;
    this.function = scheduler;
    this.slots = slots;
    this.createdAt = createdAt;
    this.idleSince = createdAt;
    this.lastSeen = createdAt;
    ControlPlaneConfig.LogRate rate = scheduler.ctx.config().logRate();
    this.logRate = new LogRateLimiter(rate.linesPerSecond(), rate.burst(), System.nanoTime());
  }

  /** The function the container serves: its app, its name, and stopping this container. */
  public FunctionInputs function() {
    return function;
  }

  int freeSlots() {
    return slots - (attempts.size() - prefetched.size());
  }

  /** Whether it can take an input now. */
  boolean accepting() {
    return phase == Phase.READY && freeSlots() > 0 && channel.isPresent() && channel.get().isOpen();
  }

  @Override
  public String toString() {
    return "container " + id;
  }
}
