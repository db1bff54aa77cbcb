package dev.skiff.server.runtime;

import dev.skiff.proto.ErrorInfo;
import dev.skiff.proto.ErrorKind;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.Result;
import dev.skiff.server.backend.ContainerHandle;
import dev.skiff.server.backend.ContainerSpec;
import dev.skiff.server.backend.Placement;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The lifecycle of one function's containers apart from their start: attaching a control stream,
 * stopping (asked, then SIGTERM, then SIGKILL), killing, forgetting one that ended, counting failed
 * starts (after several in a row, the queued inputs fail and starts back off), and launching a
 * container through the backend. A layer of {@link FunctionScheduler} (see {@link FunctionCore}):
 * it shares the function's one lock; {@link #launch}, {@link #onLaunchFailed}, {@link
 * #onStartupTimeout} and the timer tasks take it, every other method here must be called with it
 * held.
 */
abstract class ContainerLifecycle extends AttemptOutcomes {
  /** What each container holds of the node, by container id, until it is forgotten. */
  final Map<String, Placement.Reservation> reservations = new HashMap<>(); // guarded by lock

  ContainerLifecycle(
      AppSpec app,
      FunctionDef def,
      SchedulerContext ctx,
      Map<String, String> secretEnv,
      Optional<ImageRuntime> image) {
    super(app, def, ctx, secretEnv, image);
  }

  void attachLocked(Container c, ContainerChannel channel) {
    assertLocked();
    c.channel = Optional.of(channel);
    c.lastSeen = ctx.ticker().instant();
    if (c.phase == Container.Phase.STOPPING) {
      channel.shutdown();
      return;
    }
    if (c.pendingBind.isPresent()) {
      channel.bind(c.pendingBind.get());
      c.pendingBind = Optional.empty();
      // A warm container claimed while it was still starting has connected: replace it now.
      warmShape().ifPresent(shape -> ctx.launcher().execute(() -> ctx.pool().fill(shape)));
    }
  }

  /** Asks a container to exit; SIGTERM after the grace period, SIGKILL after another. */
  void retire(Container c, Outbox out) {
    assertLocked();
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
  @Override
  void kill(Container c, String reason, Outbox out) {
    assertLocked();
    if (c.killReason.isEmpty()) {
      c.killReason = Optional.of(reason);
      LOG.log(Level.DEBUG, "{0}: killing {1} because {2}", qualifiedName(), c, reason);
    }
    c.phase = Container.Phase.STOPPING;
    cancel(c.startupTimer);
    c.handle.ifPresent(h -> out.add(h::kill));
  }

  /** Removes a container that has ended (or never started) from every registry. */
  void forget(Container c, Outbox out) {
    assertLocked();
    Placement.Reservation held = reservations.remove(c.id);
    if (held != null) {
      ctx.placement().release(held);
      out.add(ctx.placement()::announceRelease);
    }
    containers.remove(c.id);
    ctx.containers().remove(c.id, c);
    ctx.tokens().revoke(c.token);
    cancel(c.startupTimer);
    c.phase = Container.Phase.STOPPING;
    c.channel.ifPresent(ch -> out.add(ch::complete));
  }

  void onStartupTimeout(Container c) {
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
  void startFailed(ErrorKind kind, String message, Optional<ErrorInfo> cause, Outbox out) {
    assertLocked();
    Instant now = ctx.ticker().instant();
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

  void launch(Container c, ContainerSpec spec) {
    ContainerHandle handle;
    try {
      handle = ctx.backend().start(spec, (stderr, text) -> publishLine(c, stderr, text));
    } catch (RuntimeException e) {
      onLaunchFailed(c, e);
      return;
    }
    handleArrived(c, handle);
    handle.onExit().thenAccept(code -> onExit(c, code, handle.stderrTail()));
  }

  /**
   * A container's process exists now: records its handle, and carries out a kill or stop that was
   * asked for while it was being created.
   */
  void handleArrived(Container c, ContainerHandle handle) {
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

  void onLaunchFailed(Container c, Exception e) {
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
}
