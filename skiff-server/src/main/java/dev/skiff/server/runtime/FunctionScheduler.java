package dev.skiff.server.runtime;

import com.google.protobuf.ByteString;
import dev.skiff.proto.AutoscalerSettings;
import dev.skiff.proto.ContainerState;
import dev.skiff.proto.ContainerStatus;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.FunctionStatus;
import dev.skiff.proto.Result;
import dev.skiff.server.backend.ContainerHandle;
import dev.skiff.server.backend.Placement;
import dev.skiff.server.backend.ResourceRequest;
import dev.skiff.server.metrics.ContainerCounts;
import dev.skiff.server.scaling.Autoscaler;
import dev.skiff.server.scaling.ContainerLoad;
import dev.skiff.server.scaling.FunctionLoad;
import dev.skiff.server.scaling.ScalingDecision;
import dev.skiff.server.scaling.ScalingPolicy;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
 * first placed by the backend ({@link Placement}): a container whose {@link ResourceRequest} does
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
 *
 * <p><b>Ports.</b> Callers outside this package hold the function through one of its two ports:
 * {@link FunctionInputs} (new inputs, submit, cancel, credit, status, autoscaler overrides: calls,
 * web endpoints, schedules, the client API) or {@link ContainerEvents} (what containers report: the
 * container service, the warm pool, the backend). {@link AppDirectory} alone starts, ticks and
 * closes it.
 *
 * <p><b>Structure.</b> The implementation is one object in layers, one file per concern, sharing
 * this one lock (see {@link FunctionCore}, which explains why): {@link InputDispatch}, {@link
 * AttemptOutcomes}, {@link ContainerLifecycle}, {@link ContainerLauncher}, {@link
 * ContainerReports}, and this class, the input side with status and housekeeping.
 *
 * <p><b>Ownership.</b> A function's scheduler is the single authority for the live state of that
 * function: its queued, waiting and running inputs (and so the live calls, map and generate streams
 * that wait on them), every attempt with its timer and retries, its containers and their slots,
 * what they hold of the node, and its autoscaler overrides. None of it is persisted: definitions
 * come back with the deployment, and spawned inputs as calls ({@code CallRegistry}'s). Several
 * control planes sharing one database would need a lease per app exactly here: only the holder of
 * the app's lease may run its schedulers, accept its containers' streams and serve its live calls
 * (docs/DESIGN.md, section 12, "Who owns which state").
 */
public final class FunctionScheduler extends ContainerReports {
  /** A scheduler of {@code def}, a function of {@code app}; it starts nothing until started. */
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
    super(app, def, ctx, secretEnv, image);
  }

  /** A new input of this function, not yet submitted. */
  @Override
  public Input newInput(ByteString args, InputListener listener, CallOrigin origin) {
    long id = ctx.inputIds().incrementAndGet();
    Input in = new Input(id, args, def.getGenerator(), listener);
    in.record =
        activity.submitted(origin.kind(), origin.callId().isEmpty() ? "in-" + id : origin.callId());
    return in;
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

  @Override
  public void submit(Input input) {
    submitAll(List.of(input));
  }

  /** Queues new inputs (in order); on a stopped function they are cancelled at once. */
  @Override
  public void submitAll(Collection<Input> inputs) {
    withLock(
        out -> {
          if (closed) {
            inputs.forEach(in -> finish(in, Failures.cancelled(closeReason), out));
          } else {
            long now = nowNanos();
            for (Input in : inputs) {
              in.submittedNanos = now;
              in.queuedNanos = now;
            }
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
  @Override
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
  @Override
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
      meters.close();
      ctx.activity().retire(activity);
    } finally {
      lock.unlock();
    }
    out.run();
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
    List<Container> current;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      current = List.copyOf(containers.values());
      Instant now = ctx.ticker().instant();
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
    reportDroppedLines(current);
  }

  /** How many of the function's containers are in each state now. */
  ContainerCounts containerCounts() {
    int starting = 0;
    int idle = 0;
    int busy = 0;
    int stopping = 0;
    for (ContainerLoad c : load().containers()) {
      switch (c.state()) {
        case STARTING -> starting++;
        case IDLE -> idle++;
        case BUSY -> busy++;
        case STOPPING -> stopping++;
      }
    }
    return new ContainerCounts(starting, idle, busy, stopping);
  }

  /** A consistent snapshot of the function's load, for tests and diagnostics. */
  FunctionLoad load() {
    lock.lock();
    try {
      return measure(ctx.ticker().instant());
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
  @Override
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
  @Override
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

  /** Why each created container that its backend still holds back waits; under the lock. */
  private List<String> heldBackReasons() {
    List<String> reasons = new ArrayList<>();
    for (Container c : containers.values()) {
      if (c.phase == Container.Phase.STARTING) {
        c.handle.flatMap(ContainerHandle::waitingReason).ifPresent(reasons::add);
      }
    }
    return reasons;
  }

  /** What the function runs now: its containers and their states, and what the autoscaler wants. */
  @Override
  public FunctionStatus status() {
    FunctionStatus.Builder status;
    Map<String, ContainerHandle> handles = new HashMap<>();
    lock.lock();
    try {
      Instant now = ctx.ticker().instant();
      FunctionLoad load = measure(now);
      ScalingDecision decision = ctx.autoscaler().decide(policy, load, now);
      int waiting = decision.waiting().isPresent() ? decision.desired() - load.live() : unplaced;
      Optional<String> why = decision.waiting().or(() -> unplacedReason);
      if (why.isEmpty()) {
        // A backend whose cluster places containers: created ones that its scheduler holds back.
        List<String> held = heldBackReasons();
        waiting += held.size();
        why = held.stream().findFirst();
      }
      status =
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
        Container held = containers.get(c.id());
        // The container's age on the ticker, which never steps, as a time on the wall clock.
        ContainerStatus.Builder container =
            ContainerStatus.newBuilder()
                .setCreatedAtMs(
                    held == null
                        ? 0
                        : ctx.clock().millis() - Duration.between(held.createdAt, now).toMillis());
        if (held != null) {
          held.handle.ifPresent(h -> handles.put(c.id(), h));
        }
        status.addContainers(
            container
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
    } finally {
      lock.unlock();
    }
    // What each container used, read from the system without the lock.
    for (ContainerStatus.Builder c : status.getContainersBuilderList()) {
      ContainerHandle h = handles.get(c.getContainerId());
      if (h != null) {
        h.usage().ifPresent(u -> c.setCpuMillis(u.cpuMillis()).setMemoryBytes(u.memoryBytes()));
      }
    }
    return status.build();
  }
}
