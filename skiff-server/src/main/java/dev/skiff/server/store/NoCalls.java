package dev.skiff.server.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** {@link CallStore#none()}: keeps nothing. */
final class NoCalls implements CallStore {
  static final NoCalls INSTANCE = new NoCalls();

  private NoCalls() {}

  @Override
  public CompletableFuture<Void> add(StoredCall call) {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> finish(String id, byte[] result, Instant at) {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public Optional<StoredCall> find(String id) {
    return Optional.empty();
  }

  @Override
  public List<StoredCall> unfinished() {
    return List.of();
  }

  @Override
  public int sweep(Instant before) {
    return 0;
  }
}
