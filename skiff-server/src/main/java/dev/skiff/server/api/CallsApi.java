package dev.skiff.server.api;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.skiff.proto.CallKind;
import dev.skiff.proto.CallRequest;
import dev.skiff.proto.CancelRequest;
import dev.skiff.proto.CancelResponse;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.FunctionRef;
import dev.skiff.proto.GenerateRequest;
import dev.skiff.proto.GenerateResponse;
import dev.skiff.proto.GetResultRequest;
import dev.skiff.proto.GetResultResponse;
import dev.skiff.proto.MapRequest;
import dev.skiff.proto.MapResponse;
import dev.skiff.proto.Result;
import dev.skiff.proto.SpawnManyRequest;
import dev.skiff.proto.SpawnManyResponse;
import dev.skiff.proto.SpawnOutcome;
import dev.skiff.proto.SpawnResponse;
import dev.skiff.server.auth.Principal;
import dev.skiff.server.calls.CallRegistry;
import dev.skiff.server.calls.SpawnedCall;
import dev.skiff.server.common.Bounds;
import dev.skiff.server.common.Statuses;
import dev.skiff.server.runtime.CallOrigin;
import dev.skiff.server.runtime.FunctionInputs;
import dev.skiff.server.runtime.Input;
import dev.skiff.server.store.StoredCall;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The client API's calls: call, map and generate (answered as results arrive), spawn, and the
 * result and cancellation of a spawned call. No method blocks: a call that waits keeps the response
 * observer and completes it when the result arrives or its timer fires.
 */
final class CallsApi {
  private final CallRegistry calls;
  private final ScheduledExecutorService timer;
  private final Access access;

  CallsApi(CallRegistry calls, ScheduledExecutorService timer, Access access) {
    this.calls = calls;
    this.timer = timer;
    this.access = access;
  }

  void call(CallRequest request, StreamObserver<Result> response) {
    ServerCallStreamObserver<Result> stream = (ServerCallStreamObserver<Result>) response;
    try {
      FunctionInputs function = access.resolve(request.getFunction(), false);
      Input input =
          function.newInput(
              request.getArgs(),
              result -> {
                try {
                  stream.onNext(result);
                  stream.onCompleted();
                } catch (RuntimeException e) {
                  // The caller went away meanwhile.
                }
              },
              new CallOrigin(
                  CallKind.CALL_REMOTE,
                  PROPOSED_ID.matcher(request.getCallId()).matches() ? request.getCallId() : ""));
      stream.setOnCancelHandler(() -> function.cancel(input, "the caller cancelled the call"));
      function.submit(input);
    } catch (RuntimeException e) {
      response.onError(Statuses.of(e));
    }
  }

  StreamObserver<MapRequest> map(StreamObserver<MapResponse> response) {
    ServerCallStreamObserver<MapResponse> stream = (ServerCallStreamObserver<MapResponse>) response;
    MapStream map = new MapStream(ref -> access.resolve(ref, false), stream);
    map.start();
    return map;
  }

  /** A call id that a client may propose: {@code fc-} and 16 to 64 letters, digits, - or _. */
  private static final Pattern PROPOSED_ID = Pattern.compile("fc-[A-Za-z0-9_-]{16,64}");

  void spawn(CallRequest request, StreamObserver<SpawnResponse> response) {
    spawnOne(
        request,
        id -> {
          try {
            response.onNext(SpawnResponse.newBuilder().setCallId(id).build());
            response.onCompleted();
          } catch (RuntimeException e) {
            // The caller went away meanwhile; the call runs anyway.
          }
        },
        e -> {
          try {
            response.onError(Statuses.of(e));
          } catch (RuntimeException ignored) {
            // The caller went away meanwhile.
          }
        });
  }

  /** The most calls one {@code SpawnMany} may carry. */
  static final int MAX_SPAWN_MANY = 1000;

  /**
   * Spawns each call of the request as {@link #spawn} would, and answers once every one is stored
   * or failed, one outcome per call in order. Their writes reach the store together, so they share
   * its commits.
   */
  void spawnMany(SpawnManyRequest request, StreamObserver<SpawnManyResponse> response) {
    int n = request.getCallsCount();
    try {
      Bounds.check("", "calls", n, 1, MAX_SPAWN_MANY);
    } catch (RuntimeException e) {
      response.onError(Statuses.of(e));
      return;
    }
    FunctionRef function = request.getCalls(0).getFunction();
    for (int i = 1; i < n; i++) {
      if (!request.getCalls(i).getFunction().equals(function)) {
        response.onError(
            Statuses.of(
                Statuses.invalid(
                    "the calls of one SpawnMany must name one function; call "
                        + i
                        + " names another than the first")));
        return;
      }
    }
    SpawnOutcome[] outcomes = new SpawnOutcome[n];
    AtomicInteger left = new AtomicInteger(n);
    Runnable oneDone =
        () -> {
          if (left.decrementAndGet() != 0) {
            return;
          }
          try {
            response.onNext(
                SpawnManyResponse.newBuilder().addAllOutcomes(List.of(outcomes)).build());
            response.onCompleted();
          } catch (RuntimeException e) {
            // The caller went away meanwhile; the calls run anyway.
          }
        };
    for (int i = 0; i < n; i++) {
      int at = i;
      spawnOne(
          request.getCalls(i),
          id -> {
            outcomes[at] = SpawnOutcome.newBuilder().setCallId(id).build();
            oneDone.run();
          },
          e -> {
            Status status = Statuses.of(e).getStatus();
            outcomes[at] =
                SpawnOutcome.newBuilder()
                    .setErrorCode(status.getCode().value())
                    .setErrorMessage(status.getDescription() == null ? "" : status.getDescription())
                    .build();
            oneDone.run();
          });
    }
  }

  /**
   * Checks, stores and starts one spawned call; then {@code accepted} gets its id, or {@code
   * failed} why it was not started. Exactly one of them is called, once.
   */
  private void spawnOne(
      CallRequest request, Consumer<String> accepted, Consumer<RuntimeException> failed) {
    FunctionInputs function;
    Optional<String> proposed =
        request.getCallId().isEmpty() ? Optional.empty() : Optional.of(request.getCallId());
    try {
      if (proposed.isPresent() && !PROPOSED_ID.matcher(proposed.get()).matches()) {
        throw Statuses.invalid(
            "call_id '"
                + (proposed.get().length() > 80
                    ? proposed.get().substring(0, 80) + "..."
                    : proposed.get())
                + "' is not a call id a client may propose: use \"fc-\" and 16 to 64 letters,"
                + " digits, '-' or '_', or leave it empty for one the server makes");
      }
      function = access.resolve(request.getFunction(), false);
    } catch (RuntimeException e) {
      failed.accept(e);
      return;
    }
    calls.spawn(function, request.getArgs(), proposed, accepted, failed);
  }

  void getResult(GetResultRequest request, StreamObserver<GetResultResponse> response) {
    ServerCallStreamObserver<GetResultResponse> stream =
        (ServerCallStreamObserver<GetResultResponse>) response;
    SpawnedCall call;
    try {
      Bounds.check("", "timeout_ms", request.getTimeoutMs(), 0, Bounds.MAX_DURATION_MS);
      Optional<SpawnedCall> live = calls.live(request.getCallId());
      if (live.isEmpty()) {
        Optional<GetResultRequest> again = answerStored(stream, request);
        if (again.isPresent()) {
          getResult(again.get(), response); // it became live here meanwhile (taken over)
        }
        return;
      }
      call = live.get();
      access.authorizeCall(call.appId());
    } catch (RuntimeException e) {
      response.onError(Statuses.of(e));
      return;
    }
    Optional<Result> result = call.result();
    if (result.isPresent() || request.getTimeoutMs() <= 0) {
      answer(stream, call, result);
      return;
    }
    AtomicBoolean answered = new AtomicBoolean();
    Runnable[] withdraw = {() -> {}};
    ScheduledFuture<?>[] deadline = {null};
    stream.setOnCancelHandler(
        () -> {
          answered.set(true);
          withdraw[0].run();
          if (deadline[0] != null) {
            deadline[0].cancel(false);
          }
        });
    // The timer is armed before the waiter so that a result arriving at once can cancel it.
    deadline[0] =
        timer.schedule(
            () -> {
              if (answered.compareAndSet(false, true)) {
                withdraw[0].run();
                answer(stream, call, Optional.empty());
              }
            },
            request.getTimeoutMs(),
            TimeUnit.MILLISECONDS);
    withdraw[0] =
        call.await(
            r -> {
              if (answered.compareAndSet(false, true)) {
                deadline[0].cancel(false);
                answer(stream, call, Optional.of(r));
              }
            });
  }

  /** How often a wait for a call that is not held here looks at the store again. */
  private static final long STORED_POLL_MS = 200;

  /**
   * Answers from the store: a call of an earlier run of the server, one that a replica which owns
   * its app now may not have started yet, or one not known at all. An unfinished one is waited for
   * (on this handler's virtual thread) within the request's timeout, looking at the store again
   * every {@value #STORED_POLL_MS} ms.
   *
   * @return the request to serve as a live call with the time left, if it became live here
   */
  private Optional<GetResultRequest> answerStored(
      ServerCallStreamObserver<GetResultResponse> response, GetResultRequest request) {
    String callId = request.getCallId();
    if (Principal.current() instanceof Principal.Container) {
      throw notFoundCall(callId);
    }
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(request.getTimeoutMs());
    while (true) {
      StoredCall stored = calls.stored(callId).orElseThrow(() -> notFoundCall(callId));
      long left = end - System.nanoTime();
      if (stored.result().isPresent() || left <= 0 || response.isCancelled()) {
        answer(response, stored, callId);
        return Optional.empty();
      }
      try {
        Thread.sleep(Math.min(STORED_POLL_MS, TimeUnit.NANOSECONDS.toMillis(left) + 1));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        answer(response, stored, callId);
        return Optional.empty();
      }
      if (calls.live(callId).isPresent()) {
        long leftMs = Math.max(0, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()));
        return Optional.of(request.toBuilder().setTimeoutMs(leftMs).build());
      }
    }
  }

  private static void answer(
      StreamObserver<GetResultResponse> response, StoredCall stored, String callId) {
    GetResultResponse.Builder r = GetResultResponse.newBuilder();
    try {
      r.setFunction(FunctionDef.parseFrom(stored.definition()));
      if (stored.result().isPresent()) {
        r.setDone(true).setResult(Result.parseFrom(stored.result().get()));
      }
    } catch (InvalidProtocolBufferException e) {
      throw Statuses.failedPrecondition("the stored call '" + callId + "' is damaged: " + e);
    }
    try {
      response.onNext(r.build());
      response.onCompleted();
    } catch (RuntimeException e) {
      // The caller went away meanwhile.
    }
  }

  private static StatusRuntimeException notFoundCall(String callId) {
    return Statuses.notFound(
        "function call '"
            + callId
            + "' not found (unknown id, or its result is older than the"
            + " retention)");
  }

  private static void answer(
      StreamObserver<GetResultResponse> stream, SpawnedCall call, Optional<Result> result) {
    if (result.isPresent() && result.get() == SpawnedCall.MOVED) {
      try {
        stream.onError(
            Statuses.unavailable(
                "the app of call "
                    + call.id
                    + " moved to another replica, which runs it now; ask again"));
      } catch (RuntimeException e) {
        // The caller went away meanwhile.
      }
      return;
    }
    GetResultResponse.Builder r =
        GetResultResponse.newBuilder().setDone(result.isPresent()).setFunction(call.function.def());
    result.ifPresent(r::setResult);
    try {
      stream.onNext(r.build());
      stream.onCompleted();
    } catch (RuntimeException e) {
      // The caller went away meanwhile.
    }
  }

  void cancel(CancelRequest request, StreamObserver<CancelResponse> response) {
    Statuses.respond(
        response,
        () -> {
          SpawnedCall call = spawnedCall(request.getCallId());
          boolean cancelled =
              call.function.cancel(call.input, "function call " + call.id + " was cancelled");
          return CancelResponse.newBuilder().setCancelled(cancelled).build();
        });
  }

  private SpawnedCall spawnedCall(String callId) {
    SpawnedCall call = calls.live(callId).orElse(null);
    if (call == null) {
      if (calls.stored(callId).isPresent()) {
        throw Statuses.failedPrecondition(
            "function call '"
                + callId
                + "' finished before the server restarted; it cannot be"
                + " cancelled");
      }
      throw notFoundCall(callId);
    }
    access.authorizeCall(call.appId());
    return call;
  }

  StreamObserver<GenerateRequest> generate(StreamObserver<GenerateResponse> response) {
    ServerCallStreamObserver<GenerateResponse> stream =
        (ServerCallStreamObserver<GenerateResponse>) response;
    GenerateStream generate = new GenerateStream(ref -> access.resolve(ref, true), stream);
    generate.start();
    return generate;
  }
}
