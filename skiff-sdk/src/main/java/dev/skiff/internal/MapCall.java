package dev.skiff.internal;

import dev.skiff.FunctionCancelledException;
import dev.skiff.Outcome;
import dev.skiff.SkiffException;
import dev.skiff.proto.IndexedArgs;
import dev.skiff.proto.IndexedResult;
import dev.skiff.proto.InputBatch;
import dev.skiff.proto.MapRequest;
import dev.skiff.proto.MapResponse;
import dev.skiff.proto.Result;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * One {@code map}: inputs stream to the control plane on one bidirectional call, results stream
 * back and are handed out in input order (or as they complete).
 *
 * <p>Three parties share the work. A <em>producer</em> virtual thread pulls the caller's iterator
 * and encodes each input into a bounded queue. A <em>sender</em> virtual thread drains that queue
 * into batches (whatever is ready, up to {@link #MAX_BATCH}) and writes them when the stream is
 * ready, so batches grow under load and single inputs go out at once. gRPC's callbacks turn
 * response batches into {@link Event}s. The consumer (the caller's thread, through this iterator)
 * takes events, reorders, decodes and returns results. A semaphore bounds how many inputs are in
 * flight, so a huge or endless input iterator does not fill memory.
 *
 * <p>An exception in the caller's iterator, an encoding failure, or {@link #close()} cancels the
 * call; the control plane then cancels every outstanding input.
 */
final class MapCall implements Iterator<Outcome<Object>>, AutoCloseable {
  private static final int MAX_BATCH = 1024;

  /**
   * A batch stops growing past this many bytes, so that a message stays far below the server's
   * limit (64 MiB by default) even when every input is near the inline limit.
   */
  private static final long MAX_BATCH_BYTES = 16L * 1024 * 1024;

  private static final int MAX_IN_FLIGHT = 100_000;

  private sealed interface Event {}

  private record Results(List<IndexedResult> results) implements Event {}

  private record ProducerDone(long total) implements Event {}

  private record Failed(RuntimeException error) implements Event {}

  private record Completed() implements Event {}

  private final FunctionSpec spec;
  private final AppBinding binding;
  private final boolean ordered;
  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final BlockingQueue<IndexedArgs> encoded = new ArrayBlockingQueue<>(4 * MAX_BATCH);
  private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
  private final Object readyLock = new Object();
  private final ProgressBar progress;
  private volatile ClientCallStreamObserver<MapRequest> requests;
  private volatile boolean closed;
  private Thread producer;
  private Thread sender;

  // Consumer state, touched only by the consuming thread.
  private final Map<Long, Result> buffered = new HashMap<>();
  private final ArrayDeque<IndexedResult> arrived = new ArrayDeque<>();
  private final BitSet seen = new BitSet();
  private long nextIndex;
  private long emitted;
  private long total = -1;
  private boolean finished;

  MapCall(FunctionSpec spec, AppBinding binding, boolean ordered) {
    this.spec = spec;
    this.binding = binding;
    this.ordered = ordered;
    this.progress = ProgressBar.forMap(spec.name(), binding.showProgress());
  }

  /** Starts the call; {@code inputs} are pulled on a background thread from now on. */
  void start(Iterator<Object[]> inputs) {
    binding.client().async().map(new ResponseObserver());
    send(MapRequest.newBuilder().setFunction(binding.ref(spec.name())).build());
    producer =
        Thread.ofVirtual().name("skiff-map-producer-" + spec.name()).start(() -> produce(inputs));
    sender = Thread.ofVirtual().name("skiff-map-sender-" + spec.name()).start(this::sendLoop);
  }

  private void produce(Iterator<Object[]> inputs) {
    long index = 0;
    try {
      while (!closed && inputs.hasNext()) {
        Object[] args = inputs.next();
        byte[] bytes = spec.args().encode(args, spec.name(), " (map input " + index + ")");
        inFlight.acquire();
        encoded.put(
            IndexedArgs.newBuilder()
                .setIndex(index)
                .setArgs(Blobs.outgoing(bytes, binding.client(), binding.appId()))
                .build());
        index++;
      }
      events.add(new ProducerDone(index));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      events.add(new Failed(e));
      cancelCall("the map's input iterator failed: " + e);
    } catch (Error e) {
      events.add(new Failed(new SkiffException("the map's input iterator failed: " + e, e)));
      cancelCall("the map's input iterator failed: " + e);
    }
  }

  private void sendLoop() {
    List<IndexedArgs> batch = new ArrayList<>(MAX_BATCH);
    try {
      while (!closed) {
        IndexedArgs first = encoded.poll(50, TimeUnit.MILLISECONDS);
        if (first == null) {
          if (producerDone() && encoded.isEmpty()) {
            send(MapRequest.newBuilder().setEndOfInputs(true).build());
            synchronized (this) {
              if (!closed) {
                requests.onCompleted();
              }
            }
            return;
          }
          continue;
        }
        batch.add(first);
        long bytes = first.getSerializedSize();
        IndexedArgs next;
        while (batch.size() < MAX_BATCH
            && bytes < MAX_BATCH_BYTES
            && (next = encoded.poll()) != null) {
          batch.add(next);
          bytes += next.getSerializedSize();
        }
        awaitReady();
        send(
            MapRequest.newBuilder().setInputs(InputBatch.newBuilder().addAllInputs(batch)).build());
        batch.clear();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      events.add(new Failed(binding.client().translate(e)));
    }
  }

  private boolean producerDone() {
    return producer != null && !producer.isAlive();
  }

  private void awaitReady() throws InterruptedException {
    synchronized (readyLock) {
      while (!closed && !requests.isReady()) {
        readyLock.wait(100);
      }
    }
  }

  private void send(MapRequest request) {
    synchronized (this) {
      if (!closed) {
        requests.onNext(request);
      }
    }
  }

  private void cancelCall(String why) {
    closed = true;
    ClientCallStreamObserver<MapRequest> r = requests;
    if (r != null) {
      synchronized (this) {
        r.cancel(why, null);
      }
    }
  }

  @Override
  public boolean hasNext() {
    if (finished) {
      return false;
    }
    while (true) {
      if (ordered ? buffered.containsKey(nextIndex) : !arrived.isEmpty()) {
        return true;
      }
      if (total >= 0 && emitted == total) {
        finish();
        return false;
      }
      Event event;
      try {
        event = events.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
        throw new FunctionCancelledException("map over '" + spec.name() + "' was interrupted");
      }
      switch (event) {
        case Results(List<IndexedResult> results) -> accept(results);
        case ProducerDone(long count) -> total = count;
        case Failed(RuntimeException error) -> {
          close();
          throw error;
        }
        case Completed() -> {
          if (total < 0 || emitted + buffered.size() + arrived.size() < total) {
            close();
            throw new SkiffException(
                "map over '"
                    + spec.name()
                    + "' ended after "
                    + emitted
                    + " results of "
                    + (total < 0 ? "?" : total));
          }
        }
      }
    }
  }

  private void accept(List<IndexedResult> results) {
    for (IndexedResult r : results) {
      int i = (int) r.getIndex();
      if (seen.get(i)) {
        continue; // exactly one output per input, whatever the wire does
      }
      seen.set(i);
      if (ordered) {
        buffered.put(r.getIndex(), r.getResult());
      } else {
        arrived.add(r);
      }
    }
  }

  @Override
  public Outcome<Object> next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    Result result = ordered ? buffered.remove(nextIndex++) : arrived.poll().getResult();
    emitted++;
    progress.update(emitted, total);
    if (result.hasError()) {
      return new Outcome.Failure<>(ErrorCodec.toException(result.getError(), spec.name()));
    }
    try {
      return new Outcome.Success<>(
          spec.result()
              .decode(
                  Blobs.incoming(result.getValue(), binding.client()),
                  "result of '" + spec.name() + "'"));
    } catch (RuntimeException e) {
      return new Outcome.Failure<>(e);
    }
  }

  private void finish() {
    finished = true;
    progress.done(emitted);
    closed = true;
  }

  @Override
  public void close() {
    if (!finished) {
      finished = true;
      progress.done(emitted);
      cancelCall("map closed by the caller");
    }
    if (producer != null) {
      producer.interrupt();
    }
    if (sender != null) {
      sender.interrupt();
    }
  }

  private final class ResponseObserver implements ClientResponseObserver<MapRequest, MapResponse> {
    @Override
    public void beforeStart(ClientCallStreamObserver<MapRequest> requestStream) {
      requests = requestStream;
      requestStream.setOnReadyHandler(
          () -> {
            synchronized (readyLock) {
              readyLock.notifyAll();
            }
          });
    }

    @Override
    public void onNext(MapResponse response) {
      inFlight.release(response.getResultsCount());
      events.add(new Results(response.getResultsList()));
    }

    @Override
    public void onError(Throwable t) {
      if (!closed) {
        events.add(new Failed(binding.client().translate(t)));
      }
    }

    @Override
    public void onCompleted() {
      events.add(new Completed());
    }
  }
}
