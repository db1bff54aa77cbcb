package dev.skiff.internal;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import dev.skiff.FunctionCall;
import dev.skiff.FunctionOptions;
import dev.skiff.Outcome;
import dev.skiff.proto.AutoscalerSettings;
import dev.skiff.proto.CallRequest;
import dev.skiff.proto.Result;
import dev.skiff.proto.UpdateAutoscalerRequest;
import io.grpc.Status;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Iterator;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Runs calls of one function on its app's control plane: the one typed engine behind every handle
 * ({@code Function0..4}, {@code Generator0..4}, {@code RemoteFunction}), which only spread their
 * parameters into an argument list. Every call form lives here once: a call, an async call, a
 * spawned call, a map (values or outcomes) and a generator's stream. Arguments are encoded on the
 * caller's thread, so an argument that cannot be encoded fails before anything is sent.
 *
 * <p>{@code R} is the type the function's codec decodes its result (a generator: each item) as; the
 * casts from decoded values to {@code R} are made here and nowhere else. Thread-safe.
 *
 * @param <R> the result type, or a generator's item type
 */
public final class Invoker<R> {
  private final FunctionSpec spec;
  private final Supplier<AppBinding> binding;

  /** An invoker for a function whose app binding is looked up at each call. */
  public Invoker(FunctionSpec spec, Supplier<AppBinding> binding) {
    this.spec = spec;
    this.binding = binding;
  }

  /** The function's spec. */
  public FunctionSpec spec() {
    return spec;
  }

  private CallRequest request(AppBinding b, Object[] args) {
    byte[] bytes = spec.args().encode(args, spec.name());
    return CallRequest.newBuilder()
        .setFunction(b.ref(spec.name()))
        .setArgs(Blobs.outgoing(bytes, b.client(), b.appId()))
        .build();
  }

  /** Runs one call in a container and waits for its result. */
  public R remote(Object... args) {
    AppBinding b = binding.get();
    CallRequest request = request(b, args);
    Result result;
    try {
      result = b.client().blocking().call(request);
    } catch (RuntimeException e) {
      throw b.client().translate(e);
    }
    return decode(result);
  }

  /** Runs one call in a container; the future completes with its result. */
  public CompletableFuture<R> remoteAsync(Object... args) {
    AppBinding b = binding.get();
    CallRequest request = request(b, args);
    ListenableFuture<Result> call = b.client().future().call(request);
    CompletableFuture<R> future =
        new CompletableFuture<>() {
          @Override
          public boolean cancel(boolean mayInterruptIfRunning) {
            call.cancel(true);
            return super.cancel(mayInterruptIfRunning);
          }
        };
    Futures.addCallback(
        call,
        new FutureCallback<>() {
          @Override
          public void onSuccess(Result result) {
            if (Blobs.isReference(result.getValue())) {
              // The download blocks: not on the transport's thread.
              Thread.ofVirtual().start(() -> complete(result));
            } else {
              complete(result);
            }
          }

          private void complete(Result result) {
            try {
              future.complete(decode(result, b.client()));
            } catch (RuntimeException e) {
              future.completeExceptionally(e);
            }
          }

          @Override
          public void onFailure(Throwable t) {
            future.completeExceptionally(b.client().translate(t));
          }
        },
        MoreExecutors.directExecutor());
    return future;
  }

  /** Starts one call whose result is kept under an id. */
  public FunctionCall<R> spawn(Object... args) {
    AppBinding b = binding.get();
    // The id is chosen here so that a Spawn retried after its answer was lost (UnavailableRetry)
    // gets the call its first try made, not a second one.
    CallRequest request = request(b, args).toBuilder().setCallId(newCallId()).build();
    String id;
    try {
      id = b.client().spawn(request).get();
    } catch (ExecutionException e) {
      throw b.client().translate(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw b.client()
          .translate(
              Status.CANCELLED
                  .withDescription("interrupted while the spawn was being stored")
                  .asRuntimeException());
    }
    return new SpawnedCall<>(id, b.client(), spec);
  }

  private static final char[] BASE32 = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();

  /**
   * A new call id: {@code "fc-"} and 26 random lowercase base32 characters (130 bits), in the
   * alphabet of the ids the server makes, so that both kinds look alike.
   */
  static String newCallId() {
    StringBuilder id = new StringBuilder("fc-");
    for (int i = 0; i < 26; i++) {
      id.append(BASE32[RANDOM.nextInt(BASE32.length)]);
    }
    return id.toString();
  }

  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * Runs one call per input. The stream yields one outcome per input; closing it early cancels the
   * inputs still outstanding.
   */
  @SuppressWarnings("unchecked") // the map's values are decoded by this function's result codec
  public Stream<Outcome<R>> map(Iterator<Object[]> inputs, boolean ordered) {
    MapCall call = new MapCall(spec, binding.get(), ordered);
    call.start(inputs);
    Iterator<Outcome<R>> outcomes = (Iterator<Outcome<R>>) (Iterator<?>) call;
    return StreamSupport.stream(
            Spliterators.spliteratorUnknownSize(
                outcomes, Spliterator.ORDERED | Spliterator.NONNULL),
            false)
        .onClose(call::close);
  }

  /**
   * Like {@link #map} but yields values; the first failure closes the map and is thrown from the
   * stream.
   */
  @SuppressWarnings("unchecked") // the map's values are decoded by this function's result codec
  public Stream<R> mapValues(Iterator<Object[]> inputs, boolean ordered) {
    MapCall call = new MapCall(spec, binding.get(), ordered);
    call.start(inputs);
    Iterator<R> values =
        new Iterator<>() {
          @Override
          public boolean hasNext() {
            return call.hasNext();
          }

          @Override
          public R next() {
            Outcome<Object> o = call.next();
            if (o instanceof Outcome.Failure<Object> f) {
              call.close();
              throw f.error();
            }
            return (R) ((Outcome.Success<Object>) o).value();
          }
        };
    return StreamSupport.stream(
            Spliterators.spliteratorUnknownSize(values, Spliterator.ORDERED), false)
        .onClose(call::close);
  }

  /** Runs a generator; the stream yields items as the container produces them. */
  @SuppressWarnings("unchecked") // the items are decoded by this generator's item codec
  public Stream<R> generate(Object... args) {
    AppBinding b = binding.get();
    byte[] bytes = spec.args().encode(args, spec.name());
    GeneratorCall call = new GeneratorCall(spec, b);
    call.start(bytes);
    Iterator<R> items = (Iterator<R>) (Iterator<?>) call;
    return StreamSupport.stream(
            Spliterators.spliteratorUnknownSize(items, Spliterator.ORDERED), false)
        .onClose(call::close);
  }

  /**
   * Replaces the function's autoscaler settings on the control plane; validated first, with the
   * messages of {@link FunctionOptions}.
   */
  public void updateAutoscaler(int min, int max, int buffer, Duration window) {
    FunctionOptions.builder(spec.name())
        .minContainers(min)
        .maxContainers(max)
        .bufferContainers(buffer)
        .scaledownWindow(window)
        .build();
    AppBinding b = binding.get();
    UpdateAutoscalerRequest request =
        UpdateAutoscalerRequest.newBuilder()
            .setFunction(b.ref(spec.name()))
            .setSettings(
                AutoscalerSettings.newBuilder()
                    .setMinContainers(min)
                    .setMaxContainers(max)
                    .setBufferContainers(buffer)
                    .setScaledownWindowMs(window.toMillis()))
            .build();
    try {
      b.client().blocking().updateAutoscaler(request);
    } catch (RuntimeException e) {
      throw b.client().translate(e);
    }
  }

  private R decode(Result result) {
    return decode(result, binding.get().client());
  }

  @SuppressWarnings("unchecked") // the result is decoded by this function's result codec
  private R decode(Result result, SkiffClient client) {
    if (result.hasError()) {
      throw ErrorCodec.toException(result.getError(), spec.name());
    }
    return (R)
        spec.result()
            .decode(Blobs.incoming(result.getValue(), client), "result of '" + spec.name() + "'");
  }
}
