package dev.skiff.internal;

import dev.skiff.FunctionCall;
import dev.skiff.ResultNotReadyException;
import dev.skiff.proto.CancelRequest;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.GetResultRequest;
import dev.skiff.proto.GetResultResponse;
import dev.skiff.proto.Result;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A spawned call known by id. Waiting is done in long polls of at most {@link #POLL} so that a
 * waiting caller notices a lost control plane. Thread-safe.
 */
public final class SpawnedCall<R> implements FunctionCall<R> {
  private static final Duration POLL = Duration.ofSeconds(30);

  /** How long {@link #get()} waits out a server it cannot reach, such as one restarting. */
  private static final Duration RIDE_OUT = Duration.ofSeconds(60);

  private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);
  private static final Duration ANSWER_MARGIN = Duration.ofSeconds(5);

  private final String id;
  private final SkiffClient client;
  // Set from the function's spec, or on the first answer for calls found by id. Guarded by this.
  private PayloadCodec.ValueCodec resultCodec;
  private String function;

  SpawnedCall(String id, SkiffClient client, FunctionSpec spec) {
    this.id = id;
    this.client = client;
    this.resultCodec = spec == null ? null : spec.result();
    this.function = spec == null ? "?" : spec.name();
  }

  /**
   * The call with this id, on the control plane of an app running in this JVM, else on the
   * configured long-running server.
   */
  public static <R> FunctionCall<R> fromId(String id) {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("call id must not be blank");
    }
    SkiffClient client =
        RunningApps.any()
            .or(ContainerContext::current)
            .map(AppBinding::client)
            .orElseGet(ServerConnection::client);
    SpawnedCall<R> call = new SpawnedCall<>(id, client, null);
    // Fails with NotFoundException for an unknown id; rides out a server that restarts.
    call.poll(Duration.ZERO, RIDE_OUT, false);
    return call;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public R get() {
    while (true) {
      GetResultResponse r = poll(POLL, RIDE_OUT, false);
      if (r.getDone()) {
        return decode(r.getResult());
      }
    }
  }

  @Override
  public R get(Duration timeout) {
    GetResultResponse r = poll(timeout, RIDE_OUT, true);
    if (!r.getDone()) {
      throw new ResultNotReadyException(
          "call "
              + id
              + " to '"
              + function
              + "' has not finished within "
              + timeout
              + "; it goes on");
    }
    return decode(r.getResult());
  }

  @Override
  public boolean cancel() {
    try {
      return client
          .blocking()
          .cancel(CancelRequest.newBuilder().setCallId(id).build())
          .getCancelled();
    } catch (RuntimeException e) {
      throw client.translate(e);
    }
  }

  /**
   * One long poll of at most {@code timeout}. A server that cannot be reached (restarting, or its
   * connection just broke) is asked again, with a short backoff, for up to {@code rideOut}: the
   * call is durable there, so a restart of the server must not fail the wait. With several
   * replicas, the channel asks whichever of them accepts a connection, so a poll outlives the death
   * of the replica it was waiting on and the takeover of the call's app by another. Past that, or
   * past {@code timeout} when the wait is {@code bounded} by it, the wait fails with the server's
   * unavailability.
   */
  private GetResultResponse poll(Duration timeout, Duration rideOut, boolean bounded) {
    long end = System.nanoTime() + timeout.toNanos();
    long outageStart = 0;
    long backoffMillis = 100;
    while (true) {
      try {
        return pollOnce(Duration.ofNanos(Math.max(0, end - System.nanoTime())));
      } catch (StatusRuntimeException e) {
        // A poll is a read: lost with its server (or reset by a replica shutting down, unless
        // this thread was interrupted), it is asked again, of whichever replica answers now.
        // A poll that its own deadline ended (a server busy restoring after a restart, a slow
        // connect) is a read too, and asked again.
        boolean retry =
            UnavailableRetry.retryable(e.getStatus(), Context.current())
                || (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED
                    && Context.current().getDeadline() == null);
        if (Thread.currentThread().isInterrupted() || !retry) {
          throw client.translate(e);
        }
        long now = System.nanoTime();
        if (outageStart == 0) {
          outageStart = now;
        }
        if (now - outageStart >= rideOut.toNanos() || (bounded && now - end >= 0)) {
          throw client.translate(e);
        }
        try {
          Thread.sleep(backoffMillis);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw client.translate(e);
        }
        backoffMillis = Math.min(2 * backoffMillis, MAX_BACKOFF.toMillis());
        // Reconnect now rather than after gRPC's own backoff, which grows to two minutes.
        client.channel().resetConnectBackoff();
      } catch (RuntimeException e) {
        throw client.translate(e);
      }
    }
  }

  private GetResultResponse pollOnce(Duration timeout) {
    long timeoutMs = Math.max(0, timeout.toMillis());
    GetResultResponse r =
        client
            .blocking()
            // The server answers within the poll's timeout; the margin covers a slow server, and
            // the deadline ends a poll that a lost server would never answer.
            .withDeadlineAfter(timeoutMs + ANSWER_MARGIN.toMillis(), TimeUnit.MILLISECONDS)
            .getResult(GetResultRequest.newBuilder().setCallId(id).setTimeoutMs(timeoutMs).build());
    synchronized (this) {
      if (resultCodec == null && r.hasFunction()) {
        resultCodec = codecOf(r.getFunction());
        function = r.getFunction().getName();
      }
    }
    return r;
  }

  @SuppressWarnings("unchecked")
  private R decode(Result result) {
    if (result.hasError()) {
      throw ErrorCodec.toException(result.getError(), function);
    }
    PayloadCodec.ValueCodec codec;
    synchronized (this) {
      codec = resultCodec;
    }
    return (R)
        codec.decode(Blobs.incoming(result.getValue(), client), "result of '" + function + "'");
  }

  private static PayloadCodec.ValueCodec codecOf(FunctionDef def) {
    try {
      ClassLoader cl = Thread.currentThread().getContextClassLoader();
      Class<?> owner = Class.forName(def.getClassName(), false, cl);
      Method m = MethodResolver.find(owner, def.getMethodName(), def.getMethodDescriptor());
      return PayloadCodec.forType(FunctionSpec.awaitedType(m.getGenericReturnType()));
    } catch (ClassNotFoundException | RuntimeException e) {
      // The function's class is not here: fall back to generic values (maps, lists, numbers).
      return PayloadCodec.forType(Object.class);
    }
  }
}
