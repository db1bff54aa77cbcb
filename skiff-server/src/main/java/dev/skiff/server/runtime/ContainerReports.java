package dev.skiff.server.runtime;

import com.google.protobuf.ByteString;
import dev.skiff.proto.ErrorInfo;
import dev.skiff.proto.ErrorKind;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.GeneratorItem;
import dev.skiff.proto.LogLine;
import dev.skiff.proto.Output;
import dev.skiff.server.backend.ContainerHandle;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one function's containers report, applied to its state: the {@link ContainerEvents} port
 * (hello, ready, init failures, outputs, generator items, heartbeats, broken streams, exits, output
 * lines, and the process of a container taken from the warm pool). A layer of {@link
 * FunctionScheduler} (see {@link FunctionCore}): it shares the function's one lock, which each
 * method here takes itself.
 */
abstract class ContainerReports extends ContainerLauncher {

  ContainerReports(
      AppSpec app,
      FunctionDef def,
      SchedulerContext ctx,
      Map<String, String> secretEnv,
      Optional<ImageRuntime> image) {
    super(app, def, ctx, secretEnv, image);
  }

  /**
   * Attaches the control stream of a container that said hello.
   *
   * @return false if the container is unknown here or already has a stream
   */
  @Override
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

  /**
   * One line of a container's output, for the app's log subscribers, unless the container is over
   * its log rate; then the line is dropped and counted, and the count reported in a line of its own
   * once lines get through again.
   */
  @Override
  public void publishLine(Container c, boolean stderr, String text) {
    long report = c.logRate.admit(System.nanoTime());
    if (report < 0) {
      return;
    }
    if (report > 0) {
      reportDropped(c, report);
    }
    publish(c, stderr, text);
  }

  /** Reports the lines of {@code c} dropped since the last report, if any. */
  private void flushDropped(Container c) {
    long report = c.logRate.takeDropped(System.nanoTime());
    if (report > 0) {
      reportDropped(c, report);
    }
  }

  /**
   * Reports the lines of each container dropped since its last report, if that was a while ago: a
   * flood that stopped is reported even when no line follows it. Call without the lock.
   */
  void reportDroppedLines(List<Container> of) {
    long now = System.nanoTime();
    for (Container c : of) {
      long report = c.logRate.takeDroppedIfDue(now);
      if (report > 0) {
        reportDropped(c, report);
      }
    }
  }

  private void reportDropped(Container c, long dropped) {
    publish(c, true, LogRateLimiter.droppedLine(dropped, ctx.config().logRate().linesPerSecond()));
  }

  private void publish(Container c, boolean stderr, String text) {
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
  @Override
  public void onAdoptedHandle(Container c, ContainerHandle handle) {
    handleArrived(c, handle);
  }

  /** The process of a container taken from the warm pool could not be started. */
  @Override
  public void onAdoptedLaunchFailed(Container c, Exception e) {
    onLaunchFailed(c, e);
  }

  /** The container initialised the user's code: it takes inputs from now on. */
  @Override
  public void onReady(Container c) {
    withLock(
        out -> {
          Instant now = ctx.ticker().instant();
          c.lastSeen = now;
          if (c.phase != Container.Phase.STARTING) {
            return;
          }
          c.phase = Container.Phase.READY;
          c.everReady = true;
          c.idleSince = now;
          cancel(c.startupTimer);
          startupGuard.recordSuccess();
          if (!c.fromWarmPool) {
            meters.coldStarted(nanos(now) - nanos(c.createdAt));
            activity.coldStarted(Duration.between(c.createdAt, now));
          }
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
  @Override
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

  @Override
  public void onHeartbeat(Container c) {
    lock.lock();
    try {
      c.lastSeen = ctx.ticker().instant();
    } finally {
      lock.unlock();
    }
  }

  /** Results of attempts; those not from an input's current attempt are discarded. */
  @Override
  public void onOutputs(Container c, List<Output> outputs) {
    withLock(
        out -> {
          Instant now = ctx.ticker().instant();
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
  @Override
  public void onItem(Container c, GeneratorItem item) {
    withLock(
        out -> {
          c.lastSeen = ctx.ticker().instant();
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
  @Override
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
  @Override
  public void onExit(Container c, int exitCode, List<String> stderrTail) {
    flushDropped(c); // the backend reports the exit after the last line of output
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

  /** The backend's handle of a container, once it has been created. */
  @Override
  public Optional<ContainerHandle> handleOf(Container c) {
    lock.lock();
    try {
      return c.handle;
    } finally {
      lock.unlock();
    }
  }
}
