package dev.skiff.server.api;

import dev.skiff.proto.ClientApiGrpc;
import dev.skiff.proto.ContainerApiGrpc;
import io.grpc.Context;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs the handlers of every RPC that may wait (for the store, a lock held across a write, the
 * disk) on an executor instead of a gRPC transport thread; the fast path named in {@link #INLINE}
 * stays on the transport thread.
 *
 * <p>The servers use a direct executor, so a handler runs on the Netty thread that reads its
 * connection, and that thread serves other connections too. A handler that waits there stops that
 * connection from being read: a container's heartbeats share its connection with its own calls, so
 * one slow store read would get a healthy container declared silent and killed. The RPCs kept
 * inline are those whose latency the benchmarks measure and that never wait: calls, map and
 * generate streams, and the containers' control streams (heartbeats, outputs).
 *
 * <p>Everything else is offloaded: the call is started and each of its listener's callbacks runs on
 * {@code executor}, one at a time and in order (gRPC's own contract for a call's listener), with
 * the call's {@link Context} (its principal, its cancellation). Thread-safe.
 */
public final class BlockingHandlers implements ServerInterceptor {
  private static final System.Logger LOG = System.getLogger(BlockingHandlers.class.getName());

  /** Full method names whose handlers never block and stay on the transport thread. */
  static final Set<String> INLINE =
      Set.of(
          ClientApiGrpc.getCallMethod().getFullMethodName(),
          ClientApiGrpc.getMapMethod().getFullMethodName(),
          ClientApiGrpc.getGenerateMethod().getFullMethodName(),
          ContainerApiGrpc.getConnectMethod().getFullMethodName());

  private final Executor executor;

  private BlockingHandlers(Executor executor) {
    this.executor = executor;
  }

  /**
   * An interceptor that runs every handler but the fast path's on {@code executor}.
   *
   * @param executor where handlers that may block run; virtual threads suit
   */
  public static BlockingHandlers on(Executor executor) {
    return new BlockingHandlers(executor);
  }

  /** Whether the handler of this method runs on the transport thread. */
  static boolean inline(String fullMethodName) {
    return INLINE.contains(fullMethodName);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (inline(call.getMethodDescriptor().getFullMethodName())) {
      return next.startCall(call, headers);
    }
    Offloaded<Q> listener = new Offloaded<>(call, new Serial(executor));
    listener.later(() -> listener.delegate = next.startCall(call, headers));
    return listener;
  }

  /** A listener whose callbacks run, in order, on a {@link Serial}. */
  private static final class Offloaded<Q> extends ForwardingServerCallListener<Q> {
    private final ServerCall<Q, ?> call;
    private final Serial serial;
    // Written by the first task on the serial queue (which starts the call), read by the later
    // ones.
    private volatile ServerCall.Listener<Q> delegate;

    Offloaded(ServerCall<Q, ?> call, Serial serial) {
      this.call = call;
      this.serial = serial;
    }

    @Override
    protected ServerCall.Listener<Q> delegate() {
      return delegate;
    }

    /**
     * Runs {@code r} on the serial queue in the current call's context. A handler that throws fails
     * its call, as gRPC does for a handler on its own executor, instead of leaving the caller
     * waiting.
     */
    void later(Runnable r) {
      serial.execute(
          Context.current()
              .wrap(
                  () -> {
                    try {
                      r.run();
                    } catch (RuntimeException e) {
                      fail(e);
                    } catch (Error e) {
                      // A StackOverflowError, a class that failed to load: the call still ends.
                      fail(e);
                      throw e;
                    }
                  }));
    }

    private void fail(Throwable e) {
      LOG.log(System.Logger.Level.ERROR, "a handler of the control plane failed", e);
      try {
        // The cause stays in the server's log: its text (SQL, paths) is not for callers.
        call.close(
            Status.UNKNOWN.withDescription(
                "the server failed to handle this call (" + e.getClass().getSimpleName() + ")"),
            new Metadata());
      } catch (IllegalStateException alreadyClosed) {
        // The handler had answered before it threw.
      }
    }

    @Override
    public void onMessage(Q message) {
      later(() -> delegate.onMessage(message));
    }

    @Override
    public void onHalfClose() {
      later(() -> delegate.onHalfClose());
    }

    @Override
    public void onCancel() {
      later(() -> delegate.onCancel());
    }

    @Override
    public void onComplete() {
      later(() -> delegate.onComplete());
    }

    @Override
    public void onReady() {
      later(() -> delegate.onReady());
    }
  }

  /** Runs tasks one at a time, in order, on an executor. */
  private static final class Serial implements Executor {
    private final Executor executor;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();

    Serial(Executor executor) {
      this.executor = executor;
    }

    @Override
    public void execute(Runnable task) {
      tasks.add(task);
      schedule();
    }

    private void schedule() {
      if (draining.compareAndSet(false, true)) {
        try {
          executor.execute(this::drain);
        } catch (RejectedExecutionException e) {
          // The control plane is closing: its servers are stopping and cancel every call.
          tasks.clear();
        }
      }
    }

    private void drain() {
      try {
        for (Runnable task = tasks.poll(); task != null; task = tasks.poll()) {
          task.run();
        }
      } finally {
        draining.set(false);
        if (!tasks.isEmpty()) {
          schedule();
        }
      }
    }
  }
}
