package dev.skiff.server.runtime;

import com.google.protobuf.ByteString;
import dev.skiff.proto.ErrorInfo;
import dev.skiff.proto.ErrorKind;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.Result;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The attempts of one function's inputs: their timeouts, retries and cancellation, and the final
 * result of each input. An input's result is final once: it moves to {@link InputState.Finished}
 * and its listener is called, exactly once. A layer of {@link FunctionScheduler} (see {@link
 * FunctionCore}): it shares the function's one lock; the timer tasks {@link #onAttemptTimeout} and
 * {@code retryNow} take it, every other method here must be called with it held.
 */
abstract class AttemptOutcomes extends InputDispatch {

  AttemptOutcomes(
      AppSpec app,
      FunctionDef def,
      SchedulerContext ctx,
      Map<String, String> secretEnv,
      Optional<ImageRuntime> image) {
    super(app, def, ctx, secretEnv, image);
  }

  /** Kills a container (see {@link ContainerLifecycle}); with the lock held. */
  abstract void kill(Container c, String reason, Outbox out);

  /** Starts and stops containers as the load needs (see {@link ContainerLauncher}); locked. */
  abstract void rescale(Outbox out);

  /** The control plane stops waiting for an attempt; the container is told to stop it. */
  void abandon(Attempt a) {
    assertLocked();
    a.abandoned = true;
    a.container.channel.ifPresent(ch -> ch.cancel(a.input.id, a.number));
  }

  void complete(Attempt a, Result result, Outbox out) {
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
  void failAttempt(Attempt a, ErrorInfo error, Outbox out) {
    assertLocked();
    Input in = a.input;
    in.record.attemptFailed(a.number, error);
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
      meters.retried();
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
  @Override
  void onAttemptTimeout(Attempt a) {
    withLock(
        out -> {
          Container c = a.container;
          if (c.attempts.get(a.key()) != a) {
            return; // it ended meanwhile
          }
          c.channel.ifPresent(ch -> ch.cancel(a.input.id, a.number));
          if (a.isCurrent()) {
            a.abandoned = true;
            meters.timedOut();
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

  void finish(Input in, Result result, Outbox out) {
    assertLocked();
    if (result.hasError() && result.getError().getAttempts() == 0 && in.attempts > 0) {
      result = Failures.result(result.getError().toBuilder().setAttempts(in.attempts).build());
    }
    in.state = new InputState.Finished(result);
    in.args = ByteString.EMPTY;
    in.record.finished(result);
    if (!result.hasError()) {
      meters.succeeded(nowNanos() - in.submittedNanos);
    } else if (result.getError().getKind() == ErrorKind.CANCELLED) {
      meters.cancelled();
    } else {
      meters.failed(nowNanos() - in.submittedNanos);
    }
    Result finalResult = result;
    out.deliver(in.listener, () -> in.listener.onResult(finalResult));
  }
}
