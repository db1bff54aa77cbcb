package dev.skiff.server.store;

import com.google.protobuf.ByteString;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** {@link CallStore} in memory. Thread-safe. */
final class InMemoryCalls implements CallStore {
  // Guards every field below.
  private final Object lock = new Object();
  // In the order added, so that calls created at the same instant keep that order.
  private final Map<String, StoredCall> calls = new LinkedHashMap<>();
  private boolean closed;

  @Override
  public CompletableFuture<Void> add(StoredCall call) {
    synchronized (lock) {
      if (closed) {
        return done();
      }
      if (calls.containsKey(call.id())) {
        return CompletableFuture.failedFuture(
            new IllegalStateException("a call with id '" + call.id() + "' is stored already"));
      }
      calls.put(call.id(), call);
    }
    return done();
  }

  @Override
  public CompletableFuture<Void> finish(String id, byte[] result, Instant at) {
    synchronized (lock) {
      StoredCall c = calls.get(id);
      if (c != null && c.result().isEmpty()) {
        calls.put(
            id,
            new StoredCall(
                c.id(),
                c.appName(),
                c.deployed(),
                c.function(),
                c.definition(),
                ByteString.EMPTY,
                c.createdAt(),
                Optional.of(result),
                Optional.of(at)));
      }
    }
    return done();
  }

  @Override
  public Optional<StoredCall> find(String id) {
    synchronized (lock) {
      return Optional.ofNullable(calls.get(id));
    }
  }

  @Override
  public List<StoredCall> unfinished() {
    List<StoredCall> out = new ArrayList<>();
    synchronized (lock) {
      for (StoredCall c : calls.values()) {
        if (c.result().isEmpty()) {
          out.add(c);
        }
      }
    }
    out.sort(Comparator.comparing(StoredCall::createdAt)); // stable: ties stay in added order
    return out;
  }

  @Override
  public int sweep(Instant before) {
    synchronized (lock) {
      int size = calls.size();
      calls.values().removeIf(c -> c.finishedAt().filter(at -> at.isBefore(before)).isPresent());
      return size - calls.size();
    }
  }

  void close() {
    synchronized (lock) {
      closed = true;
      calls.clear();
    }
  }

  private static CompletableFuture<Void> done() {
    return CompletableFuture.completedFuture(null);
  }
}
