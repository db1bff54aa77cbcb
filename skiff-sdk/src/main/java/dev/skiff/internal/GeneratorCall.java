package dev.skiff.internal;

import com.google.protobuf.ByteString;
import dev.skiff.FunctionCancelledException;
import dev.skiff.proto.CallRequest;
import dev.skiff.proto.GenerateRequest;
import dev.skiff.proto.GenerateResponse;
import dev.skiff.proto.Result;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One generator call. Items arrive as the container produces them; the client grants credit as the
 * caller consumes them, so the container runs at most {@link #WINDOW} items ahead of the caller
 * (back-pressure). Closing before the end cancels the call, which stops the generator in the
 * container.
 */
final class GeneratorCall implements Iterator<Object>, AutoCloseable {
  static final int WINDOW = 32;
  private static final int REFILL = WINDOW / 2;

  private sealed interface Event {}

  private record Item(ByteString bytes) implements Event {}

  private record Done(Result result) implements Event {}

  private record Failed(Throwable error) implements Event {}

  private final FunctionSpec spec;
  private final AppBinding binding;
  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private volatile ClientCallStreamObserver<GenerateRequest> requests;
  private Event head;
  private boolean finished;
  private int consumedSinceCredit;

  GeneratorCall(FunctionSpec spec, AppBinding binding) {
    this.spec = spec;
    this.binding = binding;
  }

  void start(byte[] args) {
    binding.client().async().generate(new Observer());
    send(
        GenerateRequest.newBuilder()
            .setStart(
                CallRequest.newBuilder()
                    .setFunction(binding.ref(spec.name()))
                    .setArgs(Blobs.outgoing(args, binding.client(), binding.appId())))
            .build());
    send(GenerateRequest.newBuilder().setCredit(WINDOW).build());
  }

  private synchronized void send(GenerateRequest r) {
    if (!finished) {
      requests.onNext(r);
    }
  }

  @Override
  public boolean hasNext() {
    if (finished) {
      return false;
    }
    if (head == null) {
      try {
        head = events.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
        throw new FunctionCancelledException("generator '" + spec.name() + "' was interrupted");
      }
    }
    switch (head) {
      case Item item -> {
        return true;
      }
      case Done(Result result) -> {
        finished = true;
        requests.onCompleted();
        if (result.hasError()) {
          throw ErrorCodec.toException(result.getError(), spec.name());
        }
        return false;
      }
      case Failed(Throwable error) -> {
        finished = true;
        throw binding.client().translate(error);
      }
    }
  }

  @Override
  public Object next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    Item item = (Item) head;
    head = null;
    if (++consumedSinceCredit >= REFILL) {
      send(GenerateRequest.newBuilder().setCredit(consumedSinceCredit).build());
      consumedSinceCredit = 0;
    }
    return spec.result()
        .decode(
            Blobs.incoming(item.bytes(), binding.client()),
            "item of generator '" + spec.name() + "'");
  }

  @Override
  public synchronized void close() {
    if (!finished) {
      finished = true;
      requests.cancel("generator closed by the caller", null);
    }
  }

  private final class Observer
      implements ClientResponseObserver<GenerateRequest, GenerateResponse> {
    @Override
    public void beforeStart(ClientCallStreamObserver<GenerateRequest> stream) {
      requests = stream;
    }

    @Override
    public void onNext(GenerateResponse r) {
      if (r.hasDone()) {
        events.add(new Done(r.getDone()));
      } else {
        events.add(new Item(r.getItem()));
      }
    }

    @Override
    public void onError(Throwable t) {
      events.add(new Failed(t));
    }

    @Override
    public void onCompleted() {
      // Done carries the outcome.
    }
  }
}
