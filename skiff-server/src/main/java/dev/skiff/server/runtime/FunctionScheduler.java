package dev.skiff.server.runtime;

import com.google.protobuf.ByteString;
import dev.skiff.internal.container.ContainerEnvironment;
import dev.skiff.proto.Assignment;
import dev.skiff.proto.AssignmentBatch;
import dev.skiff.proto.AutoscalerSettings;
import dev.skiff.proto.Bind;
import dev.skiff.proto.ContainerState;
import dev.skiff.proto.ContainerStatus;
import dev.skiff.proto.ErrorInfo;
import dev.skiff.proto.ErrorKind;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.FunctionStatus;
import dev.skiff.proto.GeneratorItem;
import dev.skiff.proto.LogLine;
import dev.skiff.proto.Output;
import dev.skiff.proto.Result;
import dev.skiff.server.backend.ContainerHandle;
import dev.skiff.server.backend.ContainerSpec;
import dev.skiff.server.backend.Resources;
import dev.skiff.server.common.RandomIds;
import dev.skiff.server.files.VolumeStore;
import dev.skiff.server.scaling.Autoscaler;
import dev.skiff.server.scaling.ContainerLoad;
import dev.skiff.server.scaling.FunctionLoad;
import dev.skiff.server.scaling.NodeCapacity;
import dev.skiff.server.scaling.ScalingDecision;
import dev.skiff.server.scaling.ScalingPolicy;
import dev.skiff.server.scaling.WarmPool;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs one function's inputs on its containers.
 *
 * <p><b>Model.</b> Inputs wait in a FIFO queue. Each container has {@code concurrent_inputs} slots;
 * an {@link Attempt} occupies one from its assignment until the container reports the attempt's
 * output or ends. Whenever something changes (inputs arrive, a container becomes ready or frees a
 * slot, a timer fires) the scheduler first <em>dispatches</em> (assigns queued inputs to ready
 * containers with free slots, filling the busiest container first so that others can idle out,
 * several assignments per message) and then <em>rescales</em>: it asks the {@link Autoscaler} how
 * many containers to start or stop for the current {@link FunctionLoad}, and does it. Each start is
 * first placed on the node ({@link NodeCapacity}): a container whose {@link ResourceRequest} does
 * not fit now is not started, and the function reports how many wait and why until a later rescale
 * (at the latest the next tick) places them; what a container holds is released when it is
 * forgotten.
 *
 * <p><b>Outcomes.</b> An input's result is final once: it moves to {@link InputState.Finished} and
 * its listener is called, exactly once. An output is accepted only from the input's current
 * attempt; an output of an abandoned or superseded attempt (cancelled, timed out, retried) is
 * discarded, which makes execution at-least-once but output at-most-once. A failed attempt is
 * retried per the function's {@link RetrySchedule} after a delay, as a new attempt number.
 *
 * <p><b>Failures.</b> An attempt that runs past the timeout fails with {@code TIMEOUT} at once, and
 * its container is told to cancel it; if the attempt still occupies its slot after the grace
 * period, the container is killed. A container that ends while holding attempts fails each with
 * {@code CONTAINER_CRASHED} and a description of the exit. A container that does not become ready
 * in time, reports {@code init_failed}, or ends before ready is a failed start; after several in a
 * row the queued inputs fail ({@code STARTUP_FAILED}/{@code STARTUP_TIMEOUT}) and starts back off
 * ({@link StartupGuard}). A ready container silent for longer than the heartbeat timeout is killed,
 * and so is one whose control stream broke.
 *
 * <p><b>Threading.</b> Every method may be called from any thread: gRPC transport threads (which
 * must never block), timer threads, process-exit threads. One lock guards all state of the function
 * and of its inputs, attempts and containers; it is held only for short sections, and the only I/O
 * under it is {@code onNext} on container streams (non-blocking, and ordered with the state change
 * that caused it). Result delivery and backend calls are collected in an {@link Outbox} and run
 * after the lock is released.
 */
public final class FunctionScheduler {
  private static final System.Logger LOG = System.getLogger(FunctionScheduler.class.getName());

  /** How much work, at the function's recent pace, may be sent ahead to a busy container. */
  private static final Duration PREFETCH_HORIZON = Duration.ofMillis(20);

  /** The most inputs sent ahead to one container. */
  private static final int MAX_PREFETCH = 64;

  /** Recent run time of one attempt, from its start to its output here; 0 until measured. */
  private long recentRunNanos; // guarded by lock

  /** Assignments are split into messages of at most about this many argument bytes. */
  private static final int MAX_BATCH_BYTES = 16 * 1024 * 1024;

  private final AppSpec app;
  private final Map<String, String> secretEnv;
  // The image the containers run on, with the environment it sets; empty: the app's classpath.
  private final Optional<ImageRuntime> image;
  private final FunctionDef def;
  private final String name;

  /** Changed only by {@link #updateAutoscaler}; guarded by lock (set once before it exists). */
  private ScalingPolicy policy;

  private final Duration timeout;
  private final Duration startupTimeout;
  private final RetrySchedule retries;
  private final ResourceRequest resources;
  private final SchedulerContext ctx;

  // Guards every field below, and the mutable fields of this function's Inputs, Attempts and
  // Containers. Never held while calling listeners or the backend (see the Outbox).
  private final ReentrantLock lock = new ReentrantLock();
  private final LinkedHashSet<Input> queue = new LinkedHashSet<>();
  private final Set<Input> waitingToRetry = new HashSet<>();
  private final Map<String, Container> containers = new LinkedHashMap<>();
  private final StartupGuard startupGuard;
  private boolean closed;
  private String closeReason = "";

  /** Why containers wait, as last logged; logged again only when it changes. */
  private Optional<String> lastWaiting = Optional.empty();

  /** What each container holds of the node, by container id, until it is forgotten. */
  private final Map<String, NodeCapacity.Reservation> reservations = new HashMap<>();

  /** The reservation of the container being started right now (read by its environment). */
  private Optional<NodeCapacity.Reservation> placing = Optional.empty();

  /** Containers the last rescale wanted but could not place on the node, and why. */
  private int unplaced;

  private Optional<String> unplacedReason = Optional.empty();

  public FunctionScheduler(AppSpec app, FunctionDef def, SchedulerContext ctx) {
    this(app, def, ctx, Map.of());
  }

  /**
   * A scheduler whose containers get {@code secretEnv} as environment variables (never logged; such
   * containers are started for the function, not taken from the warm pool).
   */
  public FunctionScheduler(
      AppSpec app, FunctionDef def, SchedulerContext ctx, Map<String, String> secretEnv) {
    this(app, def, ctx, secretEnv, Optional.empty());
  }

  /**
   * A scheduler whose containers get {@code secretEnv} as environment variables and run on {@code
   * image} (such containers are started for the function, not taken from the warm pool).
   */
  public FunctionScheduler(
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
    this.resources = ResourceRequest.of(def);
    this.startupGuard =
        new StartupGuard(config.startFailuresBeforeGivingUp(), config.maxStartBackoff());
  }

  public AppSpec app() {
    return app;
  }

  public FunctionDef def() {
    return def;
  }

  public String name() {
    return name;
  }

  // ------------------------------------------------------------------------------ inputs

  /** A new input of this function, not yet submitted. */
  public Input newInput(ByteString args, InputListener listener) {
    return new Input(ctx.inputIds().incrementAndGet(), args, def.getGenerator(), listener);
  }

  /** Starts the function's minimum containers. */
  void start() {
    Outbox out = new Outbox();
    lock.lock();
    try {
      rescale(out);
    } finally {
      lock.unlock();
    }
    out.run();
  }

  public void submit(Input input) {
    submitAll(List.of(input));
  }

  /** Queues new inputs (in order); on a stopped function they are cancelled at once. */
  public void submitAll(Collection<Input> inputs) {
    withLock(
        out -> {
          if (closed) {
            inputs.forEach(in -> finish(in, Failures.cancelled(closeReason), out));
          } else {
            queue.addAll(inputs);
            dispatch();
            rescale(out);
          }
        });
  }

  /**
   * Cancels an input: removes it from the queue, or tells its container to stop it, and finishes it
   * with {@code CANCELLED}.
   *
   * @return false if the input had already finished
   */
  public boolean cancel(Input input, String message) {
    Outbox out = new Outbox();
    boolean cancelled;
    lock.lock();
    try {
      cancelled =
          switch (input.state) {
            case InputState.Queued q -> {
              queue.remove(input);
              yield true;
            }
            case InputState.Running r -> {
              abandon(r.attempt());
              yield true;
            }
            case InputState.WaitingToRetry w -> {
              w.timer().cancel(false);
              waitingToRetry.remove(input);
              yield true;
            }
            case InputState.Finished f -> false;
          };
      if (cancelled) {
        finish(input, Failures.cancelled(message), out);
        rescale(out);
      }
    } finally {
      lock.unlock();
    }
    out.run();
    return cancelled;
  }

  private static int saturatedSum(int a, int b) {
    return (int) Math.min(Integer.MAX_VALUE, (long) a + b);
  }

  /** Grants a generator input {@code credit} more items. */
  public void addCredit(Input input, int credit) {
    lock.lock();
    try {
      switch (input.state) {
        case InputState.Queued q -> input.pendingCredit = saturatedSum(input.pendingCredit, credit);
        case InputState.Running r ->
            r.attempt().container.channel.ifPresent(ch -> ch.credit(input.id, credit));
        case InputState.WaitingToRetry w ->
            input.pendingCredit = saturatedSum(input.pendingCredit, credit);
        case InputState.Finished f -> {}
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops the function for good: cancels every queued, waiting and running input with {@code
   * message}, asks every container to shut down (killing it if it does not), and refuses new
   * inputs.
   */
  public void close(String message) {
    Outbox out = new Outbox();
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      closeReason = message;
      Result cancelled = Failures.cancelled(message);
      for (Input in : queue) {
        finish(in, cancelled, out);
      }
      queue.clear();
      for (Input in : waitingToRetry) {
        if (in.state instanceof InputState.WaitingToRetry w) {
          w.timer().cancel(false);
        }
        finish(in, cancelled, out);
      }
      waitingToRetry.clear();
      for (Container c : containers.values()) {
        for (Attempt a : c.attempts.values()) {
          if (a.isCurrent()) {
            abandon(a);
            finish(a.input, cancelled, out);
          }
        }
        if (c.phase != Container.Phase.STOPPING) {
          retire(c, out);
        }
      }
    } finally {
      lock.unlock();
    }
    out.run();
  }

  // ------------------------------------------------------------------------------ container events

  /**
   * Attaches the control stream of a container that said hello.
   *
   * @return false if the container is unknown here or already has a stream
   */
  public boolean attach(Container c, ContainerChannel channel) {
    lock.lock();
    try {
      if (containers.get(c.id) != c || c.channel.isPresent()) {
        return false;
      }
      attachLocked(c, channel);
      return true;
    } finally {
      lock.unlock();
    }
  }

  private void attachLocked(Container c, ContainerChannel channel) {
    c.channel = Optional.of(channel);
    c.lastSeen = ctx.clock().instant();
    if (c.phase == Container.Phase.STOPPING) {
      channel.shutdown();
      return;
    }
    if (c.pendingBind.isPresent()) {
      channel.bind(c.pendingBind.get());
      c.pendingBind = Optional.empty();
      // A warm container claimed while it was still starting has connected: replace it now.
      ctx.launcher().execute(() -> ctx.pool().fill(app.classpath()));
    }
  }

  /** One line of a container's output, for the app's log subscribers. */
  public void publishLine(Container c, boolean stderr, String text) {
    ctx.logs()
        .publish(
            app.id(),
            LogLine.newBuilder()
                .setFunctionName(name)
                .setContainerId(c.id)
                .setStderr(stderr)
                .setText(text)
                .setTimestampMs(ctx.clock().millis())
                .build());
  }

  /** The process of a container taken from the warm pool exists now. */
  public void onAdoptedHandle(Container c, ContainerHandle handle) {
    boolean killNow;
    boolean stopNow;
    lock.lock();
    try {
      c.handle = Optional.of(handle);
      killNow = c.killReason.isPresent();
      stopNow = c.stopRequested && c.channel.isEmpty();
    } finally {
      lock.unlock();
    }
    if (killNow) {
      handle.kill();
    } else if (stopNow) {
      handle.stop();
    }
  }

  /** The process of a container taken from the warm pool could not be started. */
  public void onAdoptedLaunchFailed(Container c, Exception e) {
    onLaunchFailed(c, e);
  }

  /** The container initialised the user's code: it takes inputs from now on. */
  public void onReady(Container c) {
    withLock(
        out -> {
          Instant now = ctx.clock().instant();
          c.lastSeen = now;
          if (c.phase != Container.Phase.STARTING) {
            return;
          }
          c.phase = Container.Phase.READY;
          c.everReady = true;
          c.idleSince = now;
          cancel(c.startupTimer);
          startupGuard.recordSuccess();
          LOG.log(
              Level.DEBUG,
              "{0}: {1} ready after {2} ms",
              qualifiedName(),
              c,
              Long.toString(Duration.between(c.createdAt, now).toMillis()));
          dispatch();
          rescale(out);
        });
  }

  /** The container could not initialise the user's code; it exits on its own. */
  public void onInitFailed(Container c, ErrorInfo error) {
    withLock(
        out -> {
          if (c.phase != Container.Phase.STARTING || !containers.containsKey(c.id)) {
            return;
          }
          c.startFailureCounted = true;
          cancel(c.startupTimer);
          retire(c, out);
          startFailed(
              ErrorKind.STARTUP_FAILED,
              c + " could not initialise the function: " + error.getMessage(),
              Optional.of(error),
              out);
        });
  }

  public void onHeartbeat(Container c) {
    lock.lock();
    try {
      c.lastSeen = ctx.clock().instant();
    } finally {
      lock.unlock();
    }
  }

  /** Results of attempts; those not from an input's current attempt are discarded. */
  public void onOutputs(Container c, List<Output> outputs) {
    withLock(
        out -> {
          Instant now = ctx.clock().instant();
          c.lastSeen = now;
          for (Output o : outputs) {
            Attempt a = c.attempts.remove(new Attempt.Key(o.getInputId(), o.getAttempt()));
            if (a != null) {
              if (!c.prefetched.remove(a)) {
                recordRunTime(a, now);
              }
              promotePrefetched(c, now);
            }
            if (a == null) {
              LOG.log(
                  Level.DEBUG,
                  "{0}: discarding output of unknown attempt {1} of input {2} from {3}",
                  qualifiedName(),
                  o.getAttempt(),
                  o.getInputId(),
                  c);
              continue;
            }
            a.cancelTimer();
            if (!a.isCurrent()) {
              LOG.log(
                  Level.DEBUG, "{0}: discarding late output of superseded {1}", qualifiedName(), a);
              continue;
            }
            complete(a, o.getResult(), out);
          }
          if (c.attempts.isEmpty()) {
            c.idleSince = now;
          }
          dispatch();
          rescale(out);
        });
  }

  /** A generator item; forwarded only from the input's current attempt. */
  public void onItem(Container c, GeneratorItem item) {
    withLock(
        out -> {
          c.lastSeen = ctx.clock().instant();
          Attempt a = c.attempts.get(new Attempt.Key(item.getInputId(), item.getAttempt()));
          if (a != null && a.isCurrent()) {
            InputListener listener = a.input.listener;
            ByteString bytes = item.getItem();
            out.deliver(listener, () -> listener.onItem(bytes));
          }
        });
  }

  /**
   * The container's control stream ended. A container without its stream is useless, so unless it
   * exits by itself within a short grace period (it usually is exiting), it is killed.
   */
  public void onStreamClosed(Container c) {
    lock.lock();
    try {
      c.channel.ifPresent(ContainerChannel::markClosed);
      if (containers.get(c.id) != c || c.stopRequested) {
        return; // gone, or already on its way out with its own escalation (see retire)
      }
      if (c.phase == Container.Phase.READY) {
        c.phase = Container.Phase.STOPPING;
      }
      schedule(
          () ->
              withLock(
                  out -> {
                    if (containers.get(c.id) == c) {
                      kill(c, "its control stream broke", out);
                    }
                  }),
          ctx.config().brokenStreamGrace());
    } finally {
      lock.unlock();
    }
  }

  /** The container ended: fail what it held, forget it, and replace it if inputs wait. */
  public void onExit(Container c, int exitCode, List<String> stderrTail) {
    withLock(
        out -> {
          if (containers.get(c.id) != c) {
            return;
          }
          forget(c, out);
          ExitReport report = new ExitReport(c.id, exitCode, stderrTail, c.killReason);
          LOG.log(Level.DEBUG, "{0}: {1}", qualifiedName(), report.cause());
          if (!c.everReady && !c.stopRequested && !c.startFailureCounted && !closed) {
            startFailed(
                ErrorKind.STARTUP_FAILED,
                report.cause() + " before it was ready" + ExitReport.quote(stderrTail),
                Optional.empty(),
                out);
          }
          ErrorInfo crash = Failures.crashed(name, report);
          if (report.outOfMemory() && resources.memoryLimitMib() > 0) {
            crash =
                crash.toBuilder()
                    .setMessage(
                        crash.getMessage()
                            + " (its memory limit is "
                            + resources.memoryLimitMib()
                            + " MiB; raise it with memory(request, limit))")
                    .build();
          }
          // Inputs sent ahead never started (as far as we know): they go back to the front of the
          // queue, in order, without spending an attempt.
          for (Attempt a : c.prefetched.reversed()) {
            c.attempts.remove(a.key());
            if (a.isCurrent()) {
              a.input.attempts--;
              requeue(a.input);
            }
          }
          c.prefetched.clear();
          for (Attempt a : c.attempts.values()) {
            a.cancelTimer();
            if (a.isCurrent()) {
              failAttempt(a, crash, out);
            }
          }
          c.attempts.clear();
          dispatch();
          rescale(out);
        });
  }

  /** Tries again to place the containers that waited for capacity, if any wait. */
  void placeWaiting() {
    Outbox out = new Outbox();
    lock.lock();
    try {
      if (closed || unplaced == 0) {
        return;
      }
      rescale(out);
    } finally {
      lock.unlock();
    }
    out.run();
  }

  /** Periodic housekeeping: lost containers, idle containers, starts after a backoff. */
  void tick() {
    Outbox out = new Outbox();
    lock.lock();
    try {
      if (closed) {
        return;
      }
      Instant now = ctx.clock().instant();
      Duration limit = ctx.config().heartbeatTimeout();
      for (Container c : containers.values()) {
        if (c.phase == Container.Phase.READY
            && c.channel.isPresent()
            && Duration.between(c.lastSeen, now).compareTo(limit) > 0) {
          kill(c, "it sent no heartbeat for " + Failures.format(limit), out);
        }
      }
      rescale(out);
    } finally {
      lock.unlock();
    }
    out.run();
  }

  /** The backend's handle of a container, once it has been created. */
  public Optional<ContainerHandle> handleOf(Container c) {
    lock.lock();
    try {
      return c.handle;
    } finally {
      lock.unlock();
    }
  }

  /** A consistent snapshot of the function's load, for tests and diagnostics. */
  FunctionLoad load() {
    lock.lock();
    try {
      return measure(ctx.clock().instant());
    } finally {
      lock.unlock();
    }
  }

  /**
   * Asks one container to shut down, as a scale-down does: it takes no new inputs and finishes what
   * it was sent within the stop grace period; after that it is stopped, and what it still holds
   * fails or retries as after a crash (inputs it had not started go back to the queue). The
   * autoscaler starts a replacement if demand needs one.
   *
   * @return false if the container is not (or no longer) one of this function's
   */
  public boolean stopContainer(Container c) {
    boolean[] found = {false};
    withLock(
        out -> {
          if (containers.get(c.id) != c) {
            return;
          }
          found[0] = true;
          if (c.phase != Container.Phase.STOPPING) {
            LOG.log(Level.DEBUG, "{0}: stopping {1} on request", qualifiedName(), c);
            retire(c, out);
            rescale(out);
          }
        });
    return found[0];
  }

  /**
   * Changes the autoscaler settings; they take effect at once (containers start or stop now).
   *
   * @throws IllegalArgumentException if the settings are inconsistent (e.g. min > max)
   */
  public void updateAutoscaler(int min, int max, int buffer, Duration window) {
    withLock(
        out -> {
          ScalingPolicy updated = policy.withAutoscaler(min, max, buffer, window);
          LOG.log(
              Level.DEBUG,
              "{0}: autoscaler updated from {1} to {2}",
              qualifiedName(),
              policy,
              updated);
          policy = updated;
          rescale(out);
        });
  }

  /** What the function runs now: its containers and their states, and what the autoscaler wants. */
  public FunctionStatus status() {
    lock.lock();
    try {
      Instant now = ctx.clock().instant();
      FunctionLoad load = measure(now);
      ScalingDecision decision = ctx.autoscaler().decide(policy, load, now);
      int waiting = decision.waiting().isPresent() ? decision.desired() - load.live() : unplaced;
      Optional<String> why = decision.waiting().or(() -> unplacedReason);
      FunctionStatus.Builder status =
          FunctionStatus.newBuilder()
              .setFunctionName(name)
              .setQueuedInputs(load.queued())
              .setRunningInputs(load.running())
              .setAutoscaler(
                  AutoscalerSettings.newBuilder()
                      .setMinContainers(policy.minContainers())
                      .setMaxContainers(policy.maxContainers())
                      .setBufferContainers(policy.bufferContainers())
                      .setScaledownWindowMs(policy.scaledownWindow().toMillis()))
              .setTargetInputs(policy.targetInputs())
              .setMaxInputs(policy.slotsPerContainer())
              .setDesiredContainers(decision.desired())
              .setWaitingContainers(Math.max(0, waiting))
              .setWaitingReason(why.orElse(""));
      for (ContainerLoad c : load.containers()) {
        status.addContainers(
            ContainerStatus.newBuilder()
                .setContainerId(c.id())
                .setState(
                    switch (c.state()) {
                      case STARTING -> ContainerState.CONTAINER_STARTING;
                      case IDLE -> ContainerState.CONTAINER_IDLE;
                      case BUSY -> ContainerState.CONTAINER_BUSY;
                      case STOPPING -> ContainerState.CONTAINER_STOPPING;
                    })
                .setRunningInputs(c.running()));
      }
      return status.build();
    } finally {
      lock.unlock();
    }
  }

  // ------------------------------------------------------------------------------ under the lock

  private void dispatch() {
    if (queue.isEmpty()) {
      return;
    }
    Map<Container, AssignmentBatch.Builder> batches = new LinkedHashMap<>();
    Map<Container, Long> batchBytes = new HashMap<>();
    while (!queue.isEmpty()) {
      Optional<Container> target =
          containers.values().stream()
              .filter(Container::accepting)
              .min(Comparator.comparingInt(Container::freeSlots));
      if (target.isEmpty()) {
        break;
      }
      Container c = target.get();
      Input in = queue.removeFirst();
      Attempt a = new Attempt(in, ++in.attempts, c);
      c.attempts.put(a.key(), a);
      in.state = new InputState.Running(a);
      a.timer = schedule(() -> onAttemptTimeout(a), timeout);
      a.startedAt = ctx.clock().instant();
      Assignment assignment = assignment(in, a);
      AssignmentBatch.Builder batch = batches.get(c);
      long bytes = batchBytes.getOrDefault(c, 0L);
      if (batch != null && bytes + in.args.size() > MAX_BATCH_BYTES) {
        c.channel.orElseThrow().assign(batch.build());
        batch = null;
        bytes = 0;
      }
      if (batch == null) {
        batch = AssignmentBatch.newBuilder();
        batches.put(c, batch);
      }
      batch.addAssignments(assignment);
      batchBytes.put(c, bytes + in.args.size());
    }
    int depth = prefetchDepth();
    if (!queue.isEmpty() && depth > 0) {
      // Every slot is busy: send a few inputs ahead to each ready container, round robin, so that
      // a container starts its next input without waiting for a round trip through here.
      List<Container> ready =
          containers.values().stream()
              .filter(
                  c ->
                      c.phase == Container.Phase.READY
                          && c.channel.map(ContainerChannel::isOpen).orElse(false))
              .toList();
      boolean progress = true;
      while (!queue.isEmpty() && progress) {
        progress = false;
        for (Container c : ready) {
          if (queue.isEmpty() || c.prefetched.size() >= depth) {
            continue;
          }
          Input in = queue.removeFirst();
          Attempt a = new Attempt(in, ++in.attempts, c);
          c.attempts.put(a.key(), a);
          c.prefetched.add(a);
          in.state = new InputState.Running(a);
          batches
              .computeIfAbsent(c, k -> AssignmentBatch.newBuilder())
              .addAssignments(assignment(in, a));
          progress = true;
        }
      }
    }
    batches.forEach((c, batch) -> c.channel.orElseThrow().assign(batch.build()));
  }

  private static Assignment assignment(Input in, Attempt a) {
    Assignment assignment =
        Assignment.newBuilder()
            .setInputId(in.id)
            .setAttempt(a.number)
            .setArgs(in.args)
            .setCredit(in.pendingCredit)
            .build();
    in.pendingCredit = 0;
    return assignment;
  }

  /**
   * How many inputs to send ahead per container: enough to cover about {@link #PREFETCH_HORIZON} of
   * work at the function's recent pace, so that short inputs flow without a round trip each while
   * long ones are never held hostage by a busy container. None for generators, and none until the
   * pace is known.
   */
  private int prefetchDepth() {
    if (def.getGenerator() || recentRunNanos <= 0) {
      return 0;
    }
    long depth = PREFETCH_HORIZON.toNanos() / recentRunNanos - 1;
    return (int) Math.max(0, Math.min(MAX_PREFETCH, depth));
  }

  /** A slot of {@code c} freed: the first prefetched attempt starts now, with its timer. */
  private void promotePrefetched(Container c, Instant now) {
    while (!c.prefetched.isEmpty() && c.freeSlots() > 0) {
      Attempt next = c.prefetched.poll();
      next.startedAt = now;
      if (!next.abandoned) {
        next.timer = schedule(() -> onAttemptTimeout(next), timeout);
      }
    }
  }

  /** Folds one attempt's run time into the function's recent pace (an exponential average). */
  private void recordRunTime(Attempt a, Instant now) {
    if (a.startedAt == null) {
      return;
    }
    long nanos = Math.max(1, Duration.between(a.startedAt, now).toNanos());
    recentRunNanos = recentRunNanos <= 0 ? nanos : (recentRunNanos * 7 + nanos) / 8;
  }

  private void rescale(Outbox out) {
    if (closed) {
      return;
    }
    Instant now = ctx.clock().instant();
    FunctionLoad load = measure(now);
    ScalingDecision decision = ctx.autoscaler().decide(policy, load, now);
    if (!decision.waiting().equals(lastWaiting)) {
      lastWaiting = decision.waiting();
      lastWaiting.ifPresent(
          why -> LOG.log(Level.DEBUG, "{0}: containers wait: {1}", qualifiedName(), why));
    }
    if (!decision.changesAnything()) {
      noteUnplaced(0, Optional.empty());
      return;
    }
    LOG.log(Level.DEBUG, "{0}: {1}", qualifiedName(), decision.reason());
    int started = 0;
    Optional<String> notPlaced = Optional.empty();
    while (started < decision.start()) {
      NodeCapacity.Placement placement = ctx.capacity().place(resources);
      if (placement instanceof NodeCapacity.Waiting w) {
        notPlaced = Optional.of(w.reason());
        break;
      }
      NodeCapacity.Reservation reservation = ((NodeCapacity.Placed) placement).reservation();
      int before = containers.size();
      placing = Optional.of(reservation);
      try {
        startContainer(now, out);
      } finally {
        placing = Optional.empty();
      }
      if (containers.size() > before) {
        reservations.put(newestContainerId(), reservation);
      } else {
        ctx.capacity().release(reservation);
      }
      started++;
    }
    noteUnplaced(decision.start() - started, notPlaced);
    for (String id : decision.stop()) {
      Container c = containers.get(id);
      if (c != null && c.phase != Container.Phase.STOPPING) {
        retire(c, out);
      }
    }
  }

  /** The id of the container registered last (containers keep their registration order). */
  private String newestContainerId() {
    String newest = "";
    for (String id : containers.keySet()) {
      newest = id;
    }
    return newest;
  }

  /** Remembers (and logs, when it changes) how many wanted containers do not fit the node. */
  private void noteUnplaced(int count, Optional<String> reason) {
    if (!reason.equals(unplacedReason)) {
      reason.ifPresent(
          why ->
              LOG.log(
                  Level.DEBUG,
                  "{0}: {1} container(s) wait for room on the node: {2}",
                  qualifiedName(),
                  Integer.toString(count),
                  why));
    }
    unplaced = count;
    unplacedReason = reason;
  }

  /**
   * The load as the autoscaler sees it. Inputs sent ahead to a busy container count as queued;
   * attempts still held by a stopping container count for nothing (they are not demand).
   */
  private FunctionLoad measure(Instant now) {
    int queued = queue.size();
    int running = 0;
    List<ContainerLoad> loads = new ArrayList<>(containers.size());
    for (Container c : containers.values()) {
      int inSlots = c.attempts.size() - c.prefetched.size();
      ContainerLoad.State state =
          switch (c.phase) {
            case STARTING -> ContainerLoad.State.STARTING;
            case READY ->
                c.attempts.isEmpty() ? ContainerLoad.State.IDLE : ContainerLoad.State.BUSY;
            case STOPPING -> ContainerLoad.State.STOPPING;
          };
      if (c.phase == Container.Phase.READY) {
        queued += c.prefetched.size();
        running += inSlots;
      }
      Instant since = state == ContainerLoad.State.IDLE ? c.idleSince : c.createdAt;
      loads.add(new ContainerLoad(c.id, state, inSlots, since));
    }
    return new FunctionLoad(queued, running, loads, startupGuard.backingOff(now));
  }

  private void startContainer(Instant now, Outbox out) {
    Optional<WarmPool.Warm> warm =
        // Set when a JVM starts, or mounts or an image a warm container lacks: no warm one.
        resources.needsItsOwnJvm()
                || !secretEnv.isEmpty()
                || def.getBlockNetwork()
                || def.getVolumesCount() > 0
                || image.isPresent()
            ? Optional.empty()
            : ctx.pool()
                .claim(
                    app.classpath(),
                    w -> {
                      Container adopted =
                          new Container(w.id, w.token, this, policy.slotsPerContainer(), now);
                      adopted.pendingBind =
                          Optional.of(
                              Bind.newBuilder()
                                  .setAppId(app.id())
                                  .setAppName(app.name())
                                  .setFunction(def)
                                  .setConcurrentInputs(policy.slotsPerContainer())
                                  .build());
                      ctx.tokens().rebind(w.token, w.id, app.id());
                      ctx.containers().put(w.id, adopted);
                      containers.put(w.id, adopted);
                      return adopted;
                    });
    if (warm.isPresent()) {
      Container c = ctx.containers().get(warm.get().id);
      c.startupTimer = schedule(() -> onStartupTimeout(c), startupTimeout);
      c.handle = ctx.pool().handleOf(warm.get());
      ctx.pool().channelOf(warm.get()).ifPresent(ch -> attachLocked(c, ch));
      LOG.log(Level.DEBUG, "{0}: {1} taken from the warm pool", qualifiedName(), c);
      return;
    }
    Container container;
    while (true) {
      String id = RandomIds.containerId();
      String token = ctx.tokens().issue(id, app.id());
      container = new Container(id, token, this, policy.slotsPerContainer(), now);
      if (ctx.containers().putIfAbsent(id, container) == null) {
        break;
      }
      ctx.tokens().revoke(token); // an id already taken: draw again
    }
    String id = container.id;
    Container c = container;
    containers.put(id, c);
    c.startupTimer = schedule(() -> onStartupTimeout(c), startupTimeout);
    ContainerSpec spec =
        new ContainerSpec(
            id,
            classpath(),
            environment(c),
            VolumeStore.mounts(ctx.config().dataDir(), def),
            image.map(ImageRuntime::readOnly).orElse(List.of()),
            image.flatMap(ImageRuntime::rootFs),
            image.map(ImageRuntime::container),
            new ContainerSpec.Reach(
                Optional.of(ctx.containerEndpoint().get().socket()),
                !def.getBlockNetwork(),
                placing.map(NodeCapacity.Reservation::gpuIndexes).orElse(List.of()),
                !secretEnv.isEmpty()),
            containerResources());
    out.add(
        () -> {
          try {
            ctx.launcher().execute(() -> launch(c, spec));
          } catch (RejectedExecutionException e) {
            onLaunchFailed(c, e);
          }
        });
  }

  /** The app's classpath, then the image's jars. */
  private List<String> classpath() {
    if (image.isEmpty()) {
      return app.classpath();
    }
    List<String> all = new ArrayList<>(app.classpath());
    all.addAll(image.get().classpath());
    return all;
  }

  /** The contract with the SDK's container entrypoint ({@link ContainerEnvironment}). */
  private Map<String, String> environment(Container c) {
    Map<String, String> env = new LinkedHashMap<>();
    image.ifPresent(i -> env.putAll(i.env())); // secrets override the image; Skiff's own win
    env.putAll(secretEnv);
    env.putAll(
        ContainerEnvironment.of(
            new ContainerEnvironment.Identity(
                ctx.containerEndpoint().get().target(), c.token, c.id),
            new ContainerEnvironment.Function(
                app.id(),
                app.name(),
                name,
                def.getClassName(),
                def.getMethodName(),
                def.getMethodDescriptor(),
                def.getGenerator(),
                policy.slotsPerContainer())));
    env.putAll(gpuEnvironment());
    return env;
  }

  /**
   * The GPU devices of the container being placed in {@code CUDA_VISIBLE_DEVICES} (empty, hiding
   * every device, on a node with GPUs when it has none).
   */
  private Map<String, String> gpuEnvironment() {
    return ContainerEnvironment.gpus(
        placing.map(NodeCapacity.Reservation::gpuType).orElse(""),
        placing.map(NodeCapacity.Reservation::gpuIndexes).orElse(List.of()),
        !ctx.capacity().node().gpus().isEmpty());
  }

  /** What the container reserves and its limits, which the backend enforces. */
  private Resources containerResources() {
    return new Resources(
        resources.milliCpuRequest(),
        resources.milliCpuLimit(),
        resources.memoryRequestMib(),
        resources.memoryLimitMib());
  }

  /** Asks a container to exit; SIGTERM after the grace period, SIGKILL after another. */
  private void retire(Container c, Outbox out) {
    c.stopRequested = true;
    c.phase = Container.Phase.STOPPING;
    cancel(c.startupTimer);
    if (c.channel.isPresent() && c.channel.get().isOpen()) {
      c.channel.get().shutdown();
    } else {
      c.handle.ifPresent(h -> out.add(h::stop)); // not connected: nobody to tell
    }
    schedule(() -> withLock(o -> escalateStop(c, o)), ctx.config().stopGrace());
  }

  /** A retired container has not exited within the grace period: SIGTERM, then SIGKILL. */
  private void escalateStop(Container c, Outbox out) {
    if (containers.get(c.id) != c) {
      return;
    }
    c.handle.ifPresent(h -> out.add(h::stop));
    Duration grace = ctx.config().stopGrace();
    String reason =
        "it did not exit within "
            + Failures.format(grace.multipliedBy(2))
            + " of being asked to stop";
    schedule(
        () ->
            withLock(
                o -> {
                  if (containers.get(c.id) == c) {
                    kill(c, reason, o);
                  }
                }),
        grace);
  }

  /** Kills a container; its exit then fails what it held. */
  private void kill(Container c, String reason, Outbox out) {
    if (c.killReason.isEmpty()) {
      c.killReason = Optional.of(reason);
      LOG.log(Level.DEBUG, "{0}: killing {1} because {2}", qualifiedName(), c, reason);
    }
    c.phase = Container.Phase.STOPPING;
    cancel(c.startupTimer);
    c.handle.ifPresent(h -> out.add(h::kill));
  }

  /** Removes a container that has ended (or never started) from every registry. */
  private void forget(Container c, Outbox out) {
    NodeCapacity.Reservation held = reservations.remove(c.id);
    if (held != null) {
      ctx.capacity().release(held);
      out.add(ctx.capacity()::announceRelease);
    }
    containers.remove(c.id);
    ctx.containers().remove(c.id, c);
    ctx.tokens().revoke(c.token);
    cancel(c.startupTimer);
    c.phase = Container.Phase.STOPPING;
    c.channel.ifPresent(ch -> out.add(ch::complete));
  }

  /** The control plane stops waiting for an attempt; the container is told to stop it. */
  private void abandon(Attempt a) {
    a.abandoned = true;
    a.container.channel.ifPresent(ch -> ch.cancel(a.input.id, a.number));
  }

  private void complete(Attempt a, Result result, Outbox out) {
    if (!result.hasError()) {
      finish(a.input, result, out);
      return;
    }
    ErrorInfo error = result.getError();
    if (error.getContainerId().isEmpty()) {
      error = error.toBuilder().setContainerId(a.container.id).build();
    }
    failAttempt(a, error, out);
  }

  /** The current attempt {@code a} failed: retry it later or finish the input with the error. */
  private void failAttempt(Attempt a, ErrorInfo error, Outbox out) {
    Input in = a.input;
    if (!closed && retries.retries(error.getKind(), a.number)) {
      Duration delay = retries.delayBefore(a.number);
      LOG.log(
          Level.DEBUG,
          "{0}: {1} failed ({2}); retry {3} of {4} in {5}",
          qualifiedName(),
          a,
          error.getKind(),
          a.number,
          retries.maxRetries(),
          Failures.format(delay));
      if (delay.isZero()) {
        requeue(in);
      } else {
        in.state = new InputState.WaitingToRetry(schedule(() -> retryNow(in), delay));
        waitingToRetry.add(in);
      }
      return;
    }
    finish(in, Failures.result(error.toBuilder().setAttempts(a.number).build()), out);
  }

  private void requeue(Input in) {
    in.state = new InputState.Queued();
    queue.addFirst(in); // it was in line before everything queued since
  }

  private void retryNow(Input in) {
    withLock(
        out -> {
          if (!waitingToRetry.remove(in) || closed) {
            return;
          }
          requeue(in);
          dispatch();
          rescale(out);
        });
  }

  /**
   * An attempt ran past the timeout: it fails (and may be retried elsewhere), its container is told
   * to cancel it, and if it still occupies its slot after the grace period, the container is
   * killed.
   */
  private void onAttemptTimeout(Attempt a) {
    withLock(
        out -> {
          Container c = a.container;
          if (c.attempts.get(a.key()) != a) {
            return; // it ended meanwhile
          }
          c.channel.ifPresent(ch -> ch.cancel(a.input.id, a.number));
          if (a.isCurrent()) {
            a.abandoned = true;
            failAttempt(
                a, Failures.timeout(name, timeout, a.number, retries.maxAttempts(), c.id), out);
          }
          a.abandoned = true; // also when it was cancelled before: now it has run out of time
          a.timer =
              schedule(() -> withLock(o -> killIfStillRunning(a, o)), ctx.config().stopGrace());
          dispatch();
          rescale(out);
        });
  }

  private void killIfStillRunning(Attempt a, Outbox out) {
    Container c = a.container;
    if (c.attempts.get(a.key()) == a && containers.get(c.id) == c) {
      kill(
          c,
          a
              + " did not stop within "
              + Failures.format(ctx.config().stopGrace())
              + " of being cancelled after "
              + Failures.format(timeout),
          out);
    }
  }

  private void onStartupTimeout(Container c) {
    withLock(
        out -> {
          if (containers.get(c.id) != c || c.phase != Container.Phase.STARTING) {
            return;
          }
          c.startFailureCounted = true;
          String reason =
              "it did not become ready within the startup timeout ("
                  + Failures.format(startupTimeout)
                  + ")";
          kill(c, reason, out);
          List<String> tail = c.handle.map(ContainerHandle::stderrTail).orElse(List.of());
          startFailed(
              ErrorKind.STARTUP_TIMEOUT,
              c
                  + " did not become ready within the startup timeout ("
                  + Failures.format(startupTimeout)
                  + ")"
                  + ExitReport.quote(tail),
              Optional.empty(),
              out);
          rescale(out);
        });
  }

  /** Counts a failed start; after several in a row, the queued inputs fail with its error. */
  private void startFailed(ErrorKind kind, String message, Optional<ErrorInfo> cause, Outbox out) {
    Instant now = ctx.clock().instant();
    boolean giveUp = startupGuard.recordFailure(now);
    LOG.log(
        Level.DEBUG,
        "{0}: failed container start {1} in a row: {2}",
        qualifiedName(),
        Integer.toString(startupGuard.consecutiveFailures()),
        message);
    if (!giveUp || queue.isEmpty()) {
      return;
    }
    ErrorInfo.Builder error =
        ErrorInfo.newBuilder()
            .setKind(kind)
            .setMessage(
                "function '"
                    + name
                    + "' could not start a container ("
                    + startupGuard.consecutiveFailures()
                    + " failed starts in a row): "
                    + message);
    cause.ifPresent(error::setCause);
    Result result = Failures.result(error.build());
    LOG.log(
        Level.DEBUG,
        "{0}: failing {1} queued input(s) after repeated failed starts",
        qualifiedName(),
        Integer.toString(queue.size()));
    for (Input in : queue) {
      finish(in, result, out);
    }
    queue.clear();
  }

  private void finish(Input in, Result result, Outbox out) {
    if (result.hasError() && result.getError().getAttempts() == 0 && in.attempts > 0) {
      result = Failures.result(result.getError().toBuilder().setAttempts(in.attempts).build());
    }
    in.state = new InputState.Finished(result);
    in.args = ByteString.EMPTY;
    Result finalResult = result;
    out.deliver(in.listener, () -> in.listener.onResult(finalResult));
  }

  // ------------------------------------------------------------------------------ outside the lock

  private void launch(Container c, ContainerSpec spec) {
    ContainerHandle handle;
    try {
      handle = ctx.backend().start(spec, (stderr, text) -> publishLine(c, stderr, text));
    } catch (RuntimeException e) {
      onLaunchFailed(c, e);
      return;
    }
    boolean killNow;
    boolean stopNow;
    lock.lock();
    try {
      c.handle = Optional.of(handle);
      killNow = c.killReason.isPresent();
      stopNow = c.stopRequested && c.channel.isEmpty();
    } finally {
      lock.unlock();
    }
    if (killNow) {
      handle.kill();
    } else if (stopNow) {
      handle.stop();
    }
    handle.onExit().thenAccept(code -> onExit(c, code, handle.stderrTail()));
  }

  private void onLaunchFailed(Container c, Exception e) {
    LOG.log(Level.DEBUG, "{0}: could not start {1}: {2}", qualifiedName(), c, e.toString());
    withLock(
        out -> {
          if (containers.get(c.id) != c) {
            return;
          }
          forget(c, out);
          if (!closed && !c.stopRequested) {
            startFailed(
                ErrorKind.STARTUP_FAILED,
                "could not start " + c + ": " + e.getMessage(),
                Optional.empty(),
                out);
          }
          rescale(out);
        });
  }

  // ------------------------------------------------------------------------------ plumbing

  private interface LockedAction {
    void run(Outbox out);
  }

  private void withLock(LockedAction action) {
    Outbox out = new Outbox();
    lock.lock();
    try {
      action.run(out);
    } finally {
      lock.unlock();
    }
    out.run();
  }

  private ScheduledFuture<?> schedule(Runnable task, Duration delay) {
    return ctx.timer().schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  private static void cancel(ScheduledFuture<?> timer) {
    if (timer != null) {
      timer.cancel(false);
    }
  }

  private String qualifiedName() {
    return app.name() + "." + name;
  }

  @Override
  public String toString() {
    return "function " + qualifiedName() + " of " + app.id();
  }
}
