package dev.skiff.server.logs;

import dev.skiff.proto.LogLine;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;

/**
 * One {@code StreamLogs} call. Lines are sent while the client keeps up (gRPC's {@code isReady});
 * otherwise up to {@value #MAX_BUFFERED} lines or {@value #MAX_BUFFERED_CHARS} characters wait, and
 * further lines are dropped and counted, with a note to the client once it catches up. Thread-safe.
 */
public final class LogSubscriber {
  static final int MAX_BUFFERED = 10_000;
  static final long MAX_BUFFERED_CHARS = 8L << 20;

  private final ServerCallStreamObserver<LogLine> stream;

  // Guards everything below, and every call on the stream.
  private final Object lock = new Object();
  private final ArrayDeque<LogLine> buffer = new ArrayDeque<>();
  private long bufferedChars;
  private long dropped;
  private boolean done;
  private boolean completing;

  public LogSubscriber(ServerCallStreamObserver<LogLine> stream) {
    this.stream = stream;
  }

  void offer(LogLine line) {
    synchronized (lock) {
      if (done || completing) {
        return;
      }
      if (buffer.size() >= MAX_BUFFERED
          || bufferedChars + line.getText().length() > MAX_BUFFERED_CHARS) {
        dropped++;
        return;
      }
      buffer.addLast(line);
      bufferedChars += line.getText().length();
      drain();
    }
  }

  /** Sends what the client has room for; called again by gRPC when it has more. */
  public void onReady() {
    synchronized (lock) {
      drain();
    }
  }

  private void drain() {
    if (done) {
      return;
    }
    try {
      while (stream.isReady() && (dropped > 0 || !buffer.isEmpty())) {
        if (dropped > 0) {
          stream.onNext(
              LogLine.newBuilder()
                  .setStderr(true)
                  .setText("[skiff: " + dropped + " lines dropped: the reader was too slow]")
                  .build());
          dropped = 0;
        } else {
          LogLine line = buffer.removeFirst();
          bufferedChars -= line.getText().length();
          stream.onNext(line);
        }
      }
      if (completing && dropped == 0 && buffer.isEmpty()) {
        done = true;
        stream.onCompleted();
      }
    } catch (RuntimeException e) {
      done = true; // cancelled under us
    }
  }

  /** Ends the stream once everything buffered has been sent; later offers are ignored. */
  public void completeAfterBuffered() {
    synchronized (lock) {
      completing = true;
      drain();
    }
  }

  /** The client went away. */
  public void cancelled() {
    synchronized (lock) {
      done = true;
      buffer.clear();
      bufferedChars = 0;
    }
  }
}
