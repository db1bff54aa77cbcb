package dev.skiff.server.api;

import dev.skiff.proto.CallKind;
import dev.skiff.proto.FunctionRef;
import dev.skiff.proto.IndexedArgs;
import dev.skiff.proto.IndexedResult;
import dev.skiff.proto.MapRequest;
import dev.skiff.proto.MapResponse;
import dev.skiff.proto.Result;
import dev.skiff.server.common.Bounds;
import dev.skiff.server.common.Statuses;
import dev.skiff.server.runtime.CallOrigin;
import dev.skiff.server.runtime.FunctionInputs;
import dev.skiff.server.runtime.Input;
import dev.skiff.server.runtime.InputListener;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One {@code Map} call: inputs stream in, results stream out as they complete.
 *
 * <p>The first message names the function; then come batches of indexed inputs and finally {@code
 * end_of_inputs} (a half-close counts as that too). Each input is submitted to the function at
 * once. Results are buffered and sent in batches of up to {@value #MAX_RESULTS_PER_MESSAGE} (and
 * about 16 MiB) while the client has room (gRPC's {@code isReady}), else when it signals room
 * again; the results one container message completes go out together. The stream completes once the
 * inputs have ended and every one has its result.
 *
 * <p>Flow control both ways: requests are read one message at a time, and reading pauses while more
 * than {@value #MAX_UNANSWERED} inputs are in flight or unsent, so a fast client cannot make the
 * control plane buffer without bound. If the client cancels or fails the stream, every outstanding
 * input is cancelled. Thread-safe.
 */
public final class MapStream implements StreamObserver<MapRequest> {
  static final int MAX_RESULTS_PER_MESSAGE = 1000;

  /** Results are batched up to about this size, far below the clients' message limit. */
  static final long MAX_BYTES_PER_MESSAGE = 16 * 1024 * 1024;

  static final int MAX_UNANSWERED = Bounds.MAX_UNANSWERED_MAP_INPUTS;

  private final Function<FunctionRef, FunctionInputs> resolver;
  private final ServerCallStreamObserver<MapResponse> out;

  // Guards every field below, and every call on `out`. Never held while calling the scheduler.
  private final Object lock = new Object();
  private FunctionInputs function;
  private final Map<Long, Input> outstanding = new HashMap<>();
  private final ArrayDeque<IndexedResult> unsent = new ArrayDeque<>();
  private boolean endOfInputs;
  private boolean readPaused;
  private boolean finished;

  MapStream(
      Function<FunctionRef, FunctionInputs> resolver, ServerCallStreamObserver<MapResponse> out) {
    this.resolver = resolver;
    this.out = out;
  }

  /** Hooks into the call's flow control; call from the RPC method, before it returns. */
  void start() {
    out.disableAutoRequest();
    out.setOnReadyHandler(this::flush);
    out.setOnCancelHandler(() -> abort("the map was cancelled by the caller"));
    out.request(1);
  }

  @Override
  public void onNext(MapRequest request) {
    try {
      switch (request.getMsgCase()) {
        case FUNCTION -> begin(request.getFunction());
        case INPUTS -> submit(request.getInputs().getInputsList());
        case END_OF_INPUTS -> endInputs();
        case MSG_NOT_SET -> throw Statuses.invalid("empty MapRequest");
      }
    } catch (RuntimeException e) {
      fail(Statuses.of(e));
      return;
    }
    synchronized (lock) {
      if (finished) {
        return;
      }
      if (outstanding.size() + unsent.size() < MAX_UNANSWERED) {
        out.request(1);
      } else {
        readPaused = true;
      }
    }
  }

  private void begin(FunctionRef ref) {
    synchronized (lock) {
      if (function != null) {
        throw Statuses.invalid("the map already named its function");
      }
    }
    FunctionInputs resolved = resolver.apply(ref);
    synchronized (lock) {
      function = resolved;
    }
  }

  private void submit(List<IndexedArgs> batch) {
    if (batch.isEmpty()) {
      throw Statuses.invalid(
          "map: a message of inputs has none; allowed is 1.." + Bounds.MAX_INPUTS_PER_MAP_MESSAGE);
    }
    if (batch.size() > Bounds.MAX_INPUTS_PER_MAP_MESSAGE) {
      throw Status.RESOURCE_EXHAUSTED
          .withDescription(
              "map: a message holds "
                  + batch.size()
                  + " inputs; the server takes at most "
                  + Bounds.MAX_INPUTS_PER_MAP_MESSAGE
                  + " inputs per MapRequest (split the inputs over more messages; the SDK sends at"
                  + " most 1024)")
          .asRuntimeException();
    }
    for (IndexedArgs args : batch) {
      Bounds.check("map: ", "index", args.getIndex(), 0, Long.MAX_VALUE);
    }
    FunctionInputs f;
    List<Input> inputs = new ArrayList<>(batch.size());
    synchronized (lock) {
      if (function == null) {
        throw Statuses.invalid("the first message of a map must name the function");
      }
      if (endOfInputs) {
        throw Statuses.invalid("inputs after end_of_inputs");
      }
      if (finished) {
        return;
      }
      f = function;
      for (IndexedArgs args : batch) {
        Slot slot = new Slot(args.getIndex());
        Input input = f.newInput(args.getArgs(), slot, CallOrigin.of(CallKind.CALL_MAP));
        slot.inputId = input.id;
        outstanding.put(input.id, input);
        inputs.add(input);
      }
    }
    f.submitAll(inputs);
  }

  private void endInputs() {
    synchronized (lock) {
      if (function == null) {
        throw Statuses.invalid("the first message of a map must name the function");
      }
      endOfInputs = true;
      drain();
    }
  }

  @Override
  public void onError(Throwable t) {
    abort("the map was cancelled by the caller");
  }

  @Override
  public void onCompleted() {
    synchronized (lock) {
      if (function == null) {
        fail(Statuses.invalid("the map ended before naming its function"));
        return;
      }
      endOfInputs = true;
      drain();
    }
  }

  private void onResult(long inputId, long index, Result result) {
    synchronized (lock) {
      if (outstanding.remove(inputId) == null || finished) {
        return;
      }
      unsent.addLast(IndexedResult.newBuilder().setIndex(index).setResult(result).build());
    }
  }

  /** Sends what is buffered (after a group of results, or when the client has room again). */
  private void flush() {
    synchronized (lock) {
      drain();
    }
  }

  private void drain() {
    if (finished) {
      return;
    }
    try {
      // A transport may run callbacks of this stream (onReady, and with them another drain) inside
      // out's calls on this thread, where the reentrant lock lets them in: re-check `finished`.
      while (!finished && !unsent.isEmpty() && out.isReady()) {
        MapResponse.Builder batch = MapResponse.newBuilder();
        long bytes = 0;
        while (!unsent.isEmpty()
            && batch.getResultsCount() < MAX_RESULTS_PER_MESSAGE
            && (batch.getResultsCount() == 0
                || bytes + unsent.peekFirst().getSerializedSize() <= MAX_BYTES_PER_MESSAGE)) {
          IndexedResult r = unsent.removeFirst();
          bytes += r.getSerializedSize();
          batch.addResults(r);
        }
        out.onNext(batch.build());
      }
      if (finished) {
        return;
      }
      if (endOfInputs && outstanding.isEmpty() && unsent.isEmpty()) {
        finished = true;
        out.onCompleted();
        return;
      }
      if (readPaused && outstanding.size() + unsent.size() < MAX_UNANSWERED / 2) {
        readPaused = false;
        out.request(1);
      }
    } catch (StatusRuntimeException e) {
      finished = true; // cancelled under us; the cancel handler cancels the inputs
    }
  }

  /** Ends the call with an error and cancels what is outstanding. */
  private void fail(StatusRuntimeException error) {
    synchronized (lock) {
      if (!finished) {
        finished = true;
        try {
          out.onError(error);
        } catch (RuntimeException e) {
          // Already cancelled.
        }
      }
    }
    abort("the map failed: " + error.getStatus().getDescription());
  }

  private void abort(String reason) {
    FunctionInputs f;
    List<Input> toCancel;
    synchronized (lock) {
      finished = true;
      f = function;
      toCancel = List.copyOf(outstanding.values());
      outstanding.clear();
      unsent.clear();
    }
    if (f != null) {
      toCancel.forEach(in -> f.cancel(in, reason));
    }
  }

  /** Where one input's result goes. */
  private final class Slot implements InputListener {
    private final long index;
    private long inputId;

    Slot(long index) {
      this.index = index;
    }

    @Override
    public void onResult(Result result) {
      MapStream.this.onResult(inputId, index, result);
    }

    @Override
    public void flush() {
      MapStream.this.flush();
    }

    // Slots of one stream are equal, so that a group of results flushes the stream once.
    @Override
    public boolean equals(Object o) {
      return o instanceof Slot s && s.stream() == MapStream.this;
    }

    private MapStream stream() {
      return MapStream.this;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(MapStream.this);
    }
  }
}
