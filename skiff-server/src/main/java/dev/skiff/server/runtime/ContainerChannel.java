package dev.skiff.server.runtime;

import dev.skiff.proto.AssignmentBatch;
import dev.skiff.proto.Bind;
import dev.skiff.proto.CancelInput;
import dev.skiff.proto.ControlMessage;
import dev.skiff.proto.GeneratorCredit;
import dev.skiff.proto.Shutdown;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.lang.System.Logger.Level;

/**
 * The control plane's side of one container's {@code Connect} stream. gRPC stream observers are not
 * thread-safe, so every send goes through one lock; a send after the stream ended is dropped.
 * Thread-safe.
 */
public final class ContainerChannel {
  private static final System.Logger LOG = System.getLogger(ContainerChannel.class.getName());

  private final String containerId;
  private final StreamObserver<ControlMessage> stream;

  // Guards stream and closed. Never held while taking another lock.
  private final Object lock = new Object();
  private boolean closed;

  public ContainerChannel(String containerId, StreamObserver<ControlMessage> stream) {
    this.containerId = containerId;
    this.stream = stream;
  }

  void assign(AssignmentBatch batch) {
    send(ControlMessage.newBuilder().setAssignments(batch).build());
  }

  void cancel(long inputId, int attempt) {
    send(
        ControlMessage.newBuilder()
            .setCancel(CancelInput.newBuilder().setInputId(inputId).setAttempt(attempt))
            .build());
  }

  void credit(long inputId, int credit) {
    send(
        ControlMessage.newBuilder()
            .setCredit(GeneratorCredit.newBuilder().setInputId(inputId).setCredit(credit))
            .build());
  }

  void bind(Bind bind) {
    send(ControlMessage.newBuilder().setBind(bind).build());
  }

  public void shutdown() {
    send(ControlMessage.newBuilder().setShutdown(Shutdown.getDefaultInstance()).build());
  }

  void send(ControlMessage message) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      try {
        stream.onNext(message);
      } catch (RuntimeException e) {
        // The stream was cancelled under us; the container's end is handled elsewhere.
        closed = true;
        LOG.log(Level.DEBUG, "control stream of {0} is gone: {1}", containerId, e.toString());
      }
    }
  }

  /** Ends the stream normally. */
  public void complete() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      try {
        stream.onCompleted();
      } catch (RuntimeException e) {
        // Already cancelled by the container.
      }
    }
  }

  /** Ends the stream with an error status. */
  public void fail(Status status) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      try {
        stream.onError(status.asRuntimeException());
      } catch (RuntimeException e) {
        // Already cancelled by the container.
      }
    }
  }

  /** Marks the stream as gone without touching it (the peer ended it). */
  public void markClosed() {
    synchronized (lock) {
      closed = true;
    }
  }

  boolean isOpen() {
    synchronized (lock) {
      return !closed;
    }
  }
}
