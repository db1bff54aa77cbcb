package dev.skiff.server.testing;

import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A stream observer that keeps what it is given. Thread-safe. */
public final class RecordingObserver<T> implements StreamObserver<T> {
  public final List<T> values = new CopyOnWriteArrayList<>();
  public volatile boolean completed;
  public volatile Throwable error;

  @Override
  public void onNext(T value) {
    values.add(value);
  }

  @Override
  public void onError(Throwable t) {
    error = t;
  }

  @Override
  public void onCompleted() {
    completed = true;
  }
}
