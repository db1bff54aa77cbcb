package dev.skiff.server.testing;

import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The server side of a call, as a test sees it: readiness and requests are the test's to set. */
public final class FakeServerStream<T> extends ServerCallStreamObserver<T> {
  public final List<T> sent = new CopyOnWriteArrayList<>();
  public volatile boolean ready = true;
  public volatile boolean completed;
  public volatile Throwable error;
  public volatile int requested;
  public volatile boolean autoRequest = true;
  private volatile Runnable onReady = () -> {};
  private volatile Runnable onCancel = () -> {};

  /** The client has room again: gRPC would call the ready handler. */
  public void becomeReady() {
    ready = true;
    onReady.run();
  }

  public void cancelByClient() {
    onCancel.run();
  }

  @Override
  public boolean isReady() {
    return ready;
  }

  @Override
  public void setOnReadyHandler(Runnable handler) {
    onReady = handler;
  }

  @Override
  public void disableAutoInboundFlowControl() {
    autoRequest = false;
  }

  @Override
  public void disableAutoRequest() {
    autoRequest = false;
  }

  @Override
  public synchronized void request(int count) {
    requested += count;
  }

  @Override
  public void setMessageCompression(boolean enable) {}

  @Override
  public boolean isCancelled() {
    return false;
  }

  @Override
  public void setOnCancelHandler(Runnable handler) {
    onCancel = handler;
  }

  @Override
  public void setCompression(String compression) {}

  @Override
  public void onNext(T value) {
    sent.add(value);
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
