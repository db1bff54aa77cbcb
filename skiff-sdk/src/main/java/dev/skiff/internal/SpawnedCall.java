package dev.skiff.internal;

import dev.skiff.FunctionCall;
import dev.skiff.ResultNotReadyException;
import dev.skiff.proto.CancelRequest;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.GetResultRequest;
import dev.skiff.proto.GetResultResponse;
import dev.skiff.proto.Result;
import java.lang.reflect.Method;
import java.time.Duration;

/**
 * A spawned call known by id. Waiting is done in long polls of at most {@link #POLL} so that a
 * waiting caller notices a lost control plane. Thread-safe.
 */
public final class SpawnedCall<R> implements FunctionCall<R> {
  private static final Duration POLL = Duration.ofSeconds(30);

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
    call.poll(Duration.ZERO); // fails with NotFoundException for an unknown id
    return call;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public R get() {
    while (true) {
      GetResultResponse r = poll(POLL);
      if (r.getDone()) {
        return decode(r.getResult());
      }
    }
  }

  @Override
  public R get(Duration timeout) {
    GetResultResponse r = poll(timeout);
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

  private GetResultResponse poll(Duration timeout) {
    GetResultResponse r;
    try {
      r =
          client
              .blocking()
              .getResult(
                  GetResultRequest.newBuilder()
                      .setCallId(id)
                      .setTimeoutMs(Math.max(0, timeout.toMillis()))
                      .build());
    } catch (RuntimeException e) {
      throw client.translate(e);
    }
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
