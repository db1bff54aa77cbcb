package dev.skiff.server.api;

import com.google.protobuf.ByteString;
import dev.skiff.proto.CallKind;
import dev.skiff.proto.CallRequest;
import dev.skiff.proto.FunctionRef;
import dev.skiff.proto.GenerateRequest;
import dev.skiff.proto.GenerateResponse;
import dev.skiff.proto.Result;
import dev.skiff.server.common.Bounds;
import dev.skiff.server.common.Statuses;
import dev.skiff.server.runtime.CallOrigin;
import dev.skiff.server.runtime.FunctionInputs;
import dev.skiff.server.runtime.Input;
import dev.skiff.server.runtime.InputListener;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.function.Function;

/**
 * One {@code Generate} call: the first message starts the generator input, later ones grant credit
 * (how many more items the client can take), which is forwarded to the container; items are
 * forwarded in order as the container yields them, and the input's final result ends the stream as
 * {@code done}. Credit is the flow control: the container yields no more than granted. If the
 * client cancels, fails or half-closes the call before {@code done}, the input is cancelled.
 * Thread-safe.
 */
public final class GenerateStream implements StreamObserver<GenerateRequest>, InputListener {
  private final Function<FunctionRef, FunctionInputs> resolver;
  private final ServerCallStreamObserver<GenerateResponse> out;

  // Guards every field below, and every call on `out`. Never held while calling the scheduler.
  private final Object lock = new Object();
  private FunctionInputs function;
  private Input input;
  private boolean done;

  GenerateStream(
      Function<FunctionRef, FunctionInputs> resolver,
      ServerCallStreamObserver<GenerateResponse> out) {
    this.resolver = resolver;
    this.out = out;
  }

  /** Hooks into the call; call from the RPC method, before it returns. */
  void start() {
    out.setOnCancelHandler(() -> abandon("the generator call was cancelled by the caller"));
  }

  @Override
  public void onNext(GenerateRequest request) {
    try {
      switch (request.getMsgCase()) {
        case START -> begin(request.getStart());
        case CREDIT -> credit(request.getCredit());
        case MSG_NOT_SET -> throw Statuses.invalid("empty GenerateRequest");
      }
    } catch (RuntimeException e) {
      fail(Statuses.of(e));
    }
  }

  private void begin(CallRequest start) {
    synchronized (lock) {
      if (function != null) {
        throw Statuses.invalid("the generator call was already started");
      }
    }
    FunctionInputs f = resolver.apply(start.getFunction());
    Input in = f.newInput(start.getArgs(), this, CallOrigin.of(CallKind.CALL_GENERATOR));
    synchronized (lock) {
      if (done) {
        return;
      }
      function = f;
      input = in;
    }
    f.submit(in);
  }

  private void credit(int credit) {
    Bounds.check("generate: ", "credit", credit, 0, Bounds.MAX_GENERATOR_CREDIT);
    FunctionInputs f;
    Input in;
    synchronized (lock) {
      if (function == null) {
        throw Statuses.invalid("credit before the generator call was started");
      }
      f = function;
      in = input;
    }
    if (credit > 0) {
      f.addCredit(in, credit);
    }
  }

  @Override
  public void onItem(ByteString item) {
    synchronized (lock) {
      if (done) {
        return;
      }
      try {
        out.onNext(GenerateResponse.newBuilder().setItem(item).build());
      } catch (StatusRuntimeException e) {
        done = true; // cancelled under us
      }
    }
  }

  @Override
  public void onResult(Result result) {
    synchronized (lock) {
      if (done) {
        return;
      }
      done = true;
      try {
        out.onNext(GenerateResponse.newBuilder().setDone(result).build());
        out.onCompleted();
      } catch (StatusRuntimeException e) {
        // Cancelled under us.
      }
    }
  }

  @Override
  public void onError(Throwable t) {
    abandon("the generator call was cancelled by the caller");
  }

  @Override
  public void onCompleted() {
    boolean started;
    synchronized (lock) {
      started = function != null;
    }
    if (started) {
      abandon("the caller closed the generator before it finished");
    } else {
      fail(Statuses.invalid("the generator call ended before it was started"));
    }
  }

  private void fail(StatusRuntimeException error) {
    synchronized (lock) {
      if (!done) {
        done = true;
        try {
          out.onError(error);
        } catch (RuntimeException e) {
          // Already cancelled.
        }
      }
    }
    abandon("the generator call failed: " + error.getStatus().getDescription());
  }

  /** Cancels the input if it has not finished; its CANCELLED result ends the stream. */
  private void abandon(String reason) {
    FunctionInputs f;
    Input in;
    synchronized (lock) {
      f = function;
      in = input;
      if (f == null) {
        done = true;
        return;
      }
    }
    f.cancel(in, reason);
  }
}
