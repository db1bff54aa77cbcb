package dev.skiff.server.runtime;

import dev.skiff.proto.FunctionDef;
import dev.skiff.server.activity.FunctionActivity;
import dev.skiff.server.backend.ResourceRequest;
import dev.skiff.server.metrics.FunctionMeters;
import dev.skiff.server.scaling.ScalingPolicy;
import dev.skiff.server.scaling.WarmPool;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What every part of one function's scheduler shares: the function's identity and settings, the one
 * lock, the function's containers, and the plumbing of locked sections and timers.
 *
 * <p><b>Design.</b> {@link FunctionScheduler} is one object with one lock, written as a stack of
 * package-private layers, one file per concern, each extending the one below: this core, {@link
 * InputDispatch} (the queue and dispatch), {@link AttemptOutcomes} (attempts, timeouts, retries,
 * results), {@link ContainerLifecycle} (stops, kills, failed starts, launches), {@link
 * ContainerLauncher} (rescaling: placement, the container's spec and environment), {@link
 * ContainerReports} (the {@link ContainerEvents} port) and {@link FunctionScheduler} itself (the
 * {@link FunctionInputs} port, status and housekeeping). The layers are not separate objects
 * because every rule of the scheduler reads and changes state of several concerns in one locked
 * section (an output frees a slot, dispatches the queue and rescales), and splitting the state
 * across objects would have split that atomicity or passed the lock around; a layer calls one above
 * it only through the few abstract methods it declares. Nothing outside this package sees a layer:
 * callers hold one of the two ports.
 *
 * <p><b>Lock.</b> {@link #lock} guards every mutable field of every layer, and the mutable fields
 * of this function's {@link Input}s, {@link Attempt}s and {@link Container}s. It is never held
 * while calling listeners or the backend (see the {@link Outbox}). Each layer's comment says which
 * of its methods must be called with it held; those through which state changes check it with
 * {@link #assertLocked()}.
 */
abstract class FunctionCore implements FunctionInputs, ContainerEvents {
  static final System.Logger LOG = System.getLogger(FunctionScheduler.class.getName());

  final AppSpec app;
  final Map<String, String> secretEnv;
  // The image the containers run on, by id (the backend resolves it); empty: the backend's JDK.
  final Optional<ImageRuntime> image;
  final FunctionDef def;
  final String name;

  /** Changed only by {@code updateAutoscaler}; guarded by lock (set once before it exists). */
  ScalingPolicy policy;

  final Duration timeout;
  final Duration startupTimeout;
  final RetrySchedule retries;
  final ResourceRequest resources;
  final SchedulerContext ctx;

  /** The function's meters, held until it is closed. */
  final FunctionMeters meters;

  /** What the function's recent calls did, for people to look at; retired when it closes. */
  final FunctionActivity activity;

  // Guards every field below and the mutable fields of every layer, and the mutable fields of this
  // function's Inputs, Attempts and Containers. Never held while calling listeners or the backend
  // (see the Outbox).
  final ReentrantLock lock = new ReentrantLock();
  final Map<String, Container> containers = new LinkedHashMap<>();
  final StartupGuard startupGuard;
  boolean closed;
  String closeReason = "";

  /**
   * The warm containers this function's containers can be taken from: its app's classpath on its
   * image (or the backend's JDK); none when a container of it must start for it alone (secrets and
   * volumes are given at start, limits and GPUs shape the JVM, a blocked network the sandbox, and a
   * registry image is pulled by the backend).
   */
  Optional<WarmPool.Shape> warmShape() {
    if (resources.milliCpuLimit() > 0
        || resources.memoryLimitMib() > 0
        || !resources.gpus().isEmpty()
        || !secretEnv.isEmpty()
        || def.getBlockNetwork()
        || def.getVolumesCount() > 0
        || image.map(i -> i.registry().isPresent()).orElse(false)) {
      return Optional.empty();
    }
    return Optional.of(new WarmPool.Shape(app.classpath(), image.map(ImageRuntime::id)));
  }

  FunctionCore(
      AppSpec app,
      FunctionDef def,
      SchedulerContext ctx,
      Map<String, String> secretEnv,
      Optional<ImageRuntime> image) {
    this.secretEnv = Map.copyOf(secretEnv);
    this.image = image;
    this.app = app;
    this.def = def;
    this.name = def.getName();
    this.ctx = ctx;
    ControlPlaneConfig config = ctx.config();
    int slots = Math.max(1, def.getConcurrentInputs());
    int max =
        def.getMaxContainers() > 0
            ? def.getMaxContainers()
            : Math.max(config.defaultMaxContainers(), def.getMinContainers());
    Duration window =
        def.getScaledownWindowMs() > 0
            ? Duration.ofMillis(def.getScaledownWindowMs())
            : config.defaultScaledownWindow();
    int target = def.getTargetInputs() > 0 ? Math.min(def.getTargetInputs(), slots) : slots;
    this.policy =
        new ScalingPolicy(
            def.getMinContainers(), max, def.getBufferContainers(), slots, target, window);
    this.timeout =
        def.getTimeoutMs() > 0 ? Duration.ofMillis(def.getTimeoutMs()) : config.defaultTimeout();
    this.startupTimeout =
        def.getStartupTimeoutMs() > 0 ? Duration.ofMillis(def.getStartupTimeoutMs()) : timeout;
    this.retries = RetrySchedule.of(def.getRetries(), def.getGenerator());
    this.resources = requestOf(def);
    this.startupGuard =
        new StartupGuard(config.startFailuresBeforeGivingUp(), config.maxStartBackoff());
    this.meters = ctx.metrics().function(app.name(), name);
    this.activity = ctx.activity().function(app.id(), app.name(), name);
  }

  /** The ticker's time in nanoseconds, for the durations the meters record. */
  final long nowNanos() {
    return nanos(ctx.ticker().instant());
  }

  static long nanos(Instant instant) {
    return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
  }

  /** The request a function definition makes (already validated). */
  static ResourceRequest requestOf(FunctionDef def) {
    return new ResourceRequest(
        Math.round(def.getCpuRequest() * 1000),
        Math.round(def.getCpuLimit() * 1000),
        def.getMemoryRequestMib(),
        def.getMemoryLimitMib(),
        def.getGpusList().stream().map(ResourceRequest.GpuChoice::parse).toList(),
        def.getRegionsList());
  }

  /**
   * Fails, when assertions are enabled (as in tests), unless the calling thread holds {@link
   * #lock}. Called first by the methods through which the layers change state under the lock:
   * dispatch, requeue, abandon, failAttempt, finish, attachLocked, retire, kill, forget and
   * startFailed.
   */
  final void assertLocked() {
    assert lock.isHeldByCurrentThread()
        : Thread.currentThread().getName() + " must hold the lock of " + this;
  }

  @Override
  public AppSpec app() {
    return app;
  }

  @Override
  public FunctionDef def() {
    return def;
  }

  @Override
  public String name() {
    return name;
  }

  interface LockedAction {
    void run(Outbox out);
  }

  void withLock(LockedAction action) {
    Outbox out = new Outbox();
    lock.lock();
    try {
      action.run(out);
    } finally {
      lock.unlock();
    }
    out.run();
  }

  ScheduledFuture<?> schedule(Runnable task, Duration delay) {
    return ctx.timer().schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  static void cancel(ScheduledFuture<?> timer) {
    if (timer != null) {
      timer.cancel(false);
    }
  }

  String qualifiedName() {
    return app.name() + "." + name;
  }

  @Override
  public String toString() {
    return "function " + qualifiedName() + " of " + app.id();
  }
}
