package dev.skiff.server.activity;

import dev.skiff.proto.CallAttempt;
import dev.skiff.proto.CallKind;
import dev.skiff.proto.CallState;
import dev.skiff.proto.CallSummary;
import dev.skiff.proto.ErrorInfo;
import dev.skiff.proto.ErrorKind;
import dev.skiff.proto.Result;
import java.util.ArrayList;
import java.util.List;

/**
 * One call as its function remembers it. Its scheduler updates it as the call moves on ({@link
 * #attemptStarted}, {@link #attemptFailed}, {@link #finished}); guarded by its {@link
 * FunctionActivity}'s lock, which every method takes.
 */
public final class CallRecord {
  /** At most this many attempts are kept per call (the first ones and the last). */
  static final int MAX_ATTEMPTS = 20;

  private final FunctionActivity function;
  final String id;
  private final CallKind kind;
  private final long submittedMs;
  private long startedMs;
  private long finishedMs;
  private CallState state = CallState.CALL_QUEUED;
  private ErrorInfo error;
  private final List<Try> attempts = new ArrayList<>(1);

  /** One attempt: plain fields, so that the hot path builds no message. */
  private static final class Try {
    final int number;
    final String containerId;
    final long startedMs;
    long finishedMs;
    ErrorInfo error;

    Try(int number, String containerId, long startedMs) {
      this.number = number;
      this.containerId = containerId;
      this.startedMs = startedMs;
    }

    CallAttempt toProto() {
      CallAttempt.Builder b =
          CallAttempt.newBuilder()
              .setNumber(number)
              .setContainerId(containerId)
              .setStartedAtMs(startedMs)
              .setFinishedAtMs(finishedMs);
      if (error != null) {
        b.setError(error);
      }
      return b.build();
    }
  }

  CallRecord(FunctionActivity function, String id, CallKind kind, long submittedMs) {
    this.function = function;
    this.id = id;
    this.kind = kind;
    this.submittedMs = submittedMs;
  }

  /** Attempt {@code number} of the call started in container {@code containerId}. */
  public void attemptStarted(int number, String containerId) {
    synchronized (function) {
      long now = function.now();
      if (startedMs == 0) {
        startedMs = now;
      }
      state = CallState.CALL_RUNNING;
      if (attempts.size() == MAX_ATTEMPTS) {
        attempts.remove(MAX_ATTEMPTS / 2); // the first and the latest ones tell the story
      }
      attempts.add(new Try(number, containerId, now));
    }
  }

  /** Attempt {@code number} failed with {@code failure} (it may be retried). */
  public void attemptFailed(int number, ErrorInfo failure) {
    synchronized (function) {
      for (Try a : attempts) {
        if (a.number == number && a.finishedMs == 0) {
          a.finishedMs = function.now();
          a.error = failure;
        }
      }
      state = CallState.CALL_QUEUED;
    }
  }

  /** The call ended with {@code result}. */
  public void finished(Result result) {
    synchronized (function) {
      if (finishedMs != 0) {
        return;
      }
      finishedMs = function.now();
      if (!result.hasError()) {
        state = CallState.CALL_SUCCEEDED;
      } else {
        error = result.getError();
        state =
            error.getKind() == ErrorKind.CANCELLED
                ? CallState.CALL_CANCELLED
                : CallState.CALL_FAILED;
      }
      for (Try a : attempts) {
        if (a.finishedMs == 0) {
          a.finishedMs = finishedMs;
          if (state == CallState.CALL_FAILED) {
            a.error = error;
          }
        }
      }
      function.recordFinished(finishedMs, finishedMs - submittedMs, state == CallState.CALL_FAILED);
    }
  }

  /** What it is now; with the function's lock held. */
  CallSummary summary(String appId, String appName, String functionName) {
    CallSummary.Builder b =
        CallSummary.newBuilder()
            .setCallId(id)
            .setAppId(appId)
            .setAppName(appName)
            .setFunctionName(functionName)
            .setKind(kind)
            .setState(state)
            .setSubmittedAtMs(submittedMs)
            .setStartedAtMs(startedMs)
            .setFinishedAtMs(finishedMs);
    attempts.forEach(a -> b.addAttempts(a.toProto()));
    if (error != null) {
      b.setError(error);
    }
    return b.build();
  }

  long submittedMs() {
    return submittedMs;
  }
}
