package dev.skiff.internal;

import dev.skiff.proto.CallRequest;
import dev.skiff.proto.ClientApiGrpc;
import dev.skiff.proto.SpawnManyRequest;
import dev.skiff.proto.SpawnManyResponse;
import dev.skiff.proto.SpawnOutcome;
import dev.skiff.proto.SpawnResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends the spawns of one function that a program's threads make at the same time together, in one
 * {@code SpawnMany}: a spawn goes out at once when fewer than {@value #IN_FLIGHT} requests are on
 * their way, and otherwise waits for one of them to be answered and goes with every spawn that
 * waited meanwhile (at most {@value #MAX_BATCH}). A lone spawn therefore waits for nothing, and
 * many concurrent ones cost a few requests and a few of the server's commits instead of one each.
 *
 * <p>Each spawn gets its own outcome: the call's id, or the error the server gave for it alone. A
 * request that fails as a whole fails every spawn in it. A server without {@code SpawnMany} (an
 * older one: {@code UNIMPLEMENTED}) gets each spawn as a {@code Spawn} of its own from then on.
 * Thread-safe; its state is guarded by {@code this}.
 */
final class SpawnBatcher {
  /** The most requests on their way at once. */
  static final int IN_FLIGHT = 2;

  /** The most spawns in one request (the server takes up to 1,000). */
  static final int MAX_BATCH = 256;

  private record Pending(CallRequest request, CompletableFuture<String> id) {}

  // Sends that a send's answer started on the same thread (an in-process server answers within the
  // call) run after it, in a loop, instead of inside it: no stack grows with the number of batches.
  private static final ThreadLocal<ArrayDeque<Runnable>> LATER = new ThreadLocal<>();

  private final ClientApiGrpc.ClientApiStub stub;
  private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
  private int inFlight;
  private boolean oneByOne;

  SpawnBatcher(ClientApiGrpc.ClientApiStub stub) {
    this.stub = stub;
  }

  /**
   * Spawns one call; the future completes with its id once the server stored it, or with the
   * server's error (a {@link StatusRuntimeException}) for it.
   */
  CompletableFuture<String> spawn(CallRequest request) {
    Pending p = new Pending(request, new CompletableFuture<>());
    List<Pending> batch;
    synchronized (this) {
      waiting.add(p);
      if (inFlight >= IN_FLIGHT) {
        return p.id();
      }
      inFlight++;
      batch = take();
    }
    send(batch);
    return p.id();
  }

  /** The next batch; guarded by {@code this}. */
  private List<Pending> take() {
    List<Pending> batch = new ArrayList<>(Math.min(waiting.size(), MAX_BATCH));
    while (!waiting.isEmpty() && batch.size() < MAX_BATCH) {
      batch.add(waiting.poll());
    }
    return batch;
  }

  private void send(List<Pending> batch) {
    ArrayDeque<Runnable> later = LATER.get();
    if (later != null) {
      later.add(() -> sendNow(batch));
      return;
    }
    later = new ArrayDeque<>();
    LATER.set(later);
    try {
      sendNow(batch);
      for (Runnable r = later.poll(); r != null; r = later.poll()) {
        r.run();
      }
    } finally {
      LATER.remove();
    }
  }

  private void sendNow(List<Pending> batch) {
    boolean single;
    synchronized (this) {
      single = oneByOne;
    }
    if (single || batch.size() == 1) {
      sendOne(batch);
      return;
    }
    SpawnManyRequest.Builder request = SpawnManyRequest.newBuilder();
    batch.forEach(p -> request.addCalls(p.request()));
    stub.spawnMany(
        request.build(),
        new StreamObserver<>() {
          @Override
          public void onNext(SpawnManyResponse response) {
            for (int i = 0; i < batch.size(); i++) {
              SpawnOutcome o = i < response.getOutcomesCount() ? response.getOutcomes(i) : null;
              CompletableFuture<String> id = batch.get(i).id();
              if (o == null) {
                id.completeExceptionally(
                    Status.INTERNAL
                        .withDescription("the server answered fewer spawns than were sent")
                        .asRuntimeException());
              } else if (!o.getCallId().isEmpty()) {
                id.complete(o.getCallId());
              } else {
                id.completeExceptionally(
                    Status.fromCodeValue(o.getErrorCode())
                        .withDescription(o.getErrorMessage())
                        .asRuntimeException());
              }
            }
          }

          @Override
          public void onError(Throwable t) {
            if (Status.fromThrowable(t).getCode() == Status.Code.UNIMPLEMENTED) {
              synchronized (SpawnBatcher.this) {
                oneByOne = true;
              }
              send(batch); // each alone, then carries on
              return;
            }
            batch.forEach(p -> p.id().completeExceptionally(t));
            next();
          }

          @Override
          public void onCompleted() {
            next();
          }
        });
  }

  /** Sends each spawn of {@code batch} as a {@code Spawn} of its own, then carries on. */
  private void sendOne(List<Pending> batch) {
    AtomicInteger left = new AtomicInteger(batch.size());
    for (Pending p : batch) {
      stub.spawn(
          p.request(),
          new StreamObserver<>() {
            @Override
            public void onNext(SpawnResponse response) {
              p.id().complete(response.getCallId());
            }

            @Override
            public void onError(Throwable t) {
              p.id().completeExceptionally(t);
              done();
            }

            @Override
            public void onCompleted() {
              done();
            }

            private void done() {
              if (left.decrementAndGet() == 0) {
                next();
              }
            }
          });
    }
  }

  /** A request was answered: sends what waited meanwhile, if anything. */
  private void next() {
    List<Pending> batch;
    synchronized (this) {
      if (waiting.isEmpty()) {
        inFlight--;
        return;
      }
      batch = take();
    }
    send(batch);
  }
}
