package dev.skiff.server.files;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.Function;

/**
 * Where the volume API's file operations run: on virtual threads, never on a gRPC transport thread,
 * and at most {@link #MAX_IN_FLIGHT} at once per volume.
 *
 * <p>A container mounts its volumes read-write, so it can swap any name in them for a named pipe at
 * any moment, and the JDK opens files and directories without {@code O_NONBLOCK}: an open that
 * lands on a pipe waits for a writer that never comes. On a transport thread that would stall every
 * container's connection; here it holds one of the permits of the attacker's own volume, and
 * operations past a volume's permits get {@code RESOURCE_EXHAUSTED} at once. Thread-safe.
 */
public final class VolumeWork {
  /** How many operations on one volume may run at once. */
  static final int MAX_IN_FLIGHT = 16;

  private final ExecutorService threads =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("skiff-volume-", 0).factory());
  private final ConcurrentHashMap<String, Semaphore> permits = new ConcurrentHashMap<>();

  /**
   * Runs {@code body} on a virtual thread with the call's context, or answers {@code response} with
   * {@code RESOURCE_EXHAUSTED} if {@link #MAX_IN_FLIGHT} operations on {@code volume} (empty for an
   * operation on no one volume, such as listing them) are running.
   */
  public void run(String volume, StreamObserver<?> response, Runnable body) {
    Semaphore permit = permitOf(volume);
    if (!permit.tryAcquire()) {
      response.onError(exhausted(volume));
      return;
    }
    Runnable task =
        Context.current()
            .wrap(
                () -> {
                  try {
                    body.run();
                  } finally {
                    permit.release();
                  }
                });
    threads.execute(task);
  }

  /**
   * Feeds a client stream to the observer {@code inboundFor} makes, on virtual threads, one message
   * at a time and in order: the stream asks for the next message only when the last one was
   * handled, so nothing piles up in memory. The first message names the volume ({@code volumeOf});
   * the stream holds one of that volume's permits until it ends (the client ends it, or the answer
   * does), or is refused with {@code RESOURCE_EXHAUSTED}.
   *
   * @param inboundFor makes the observer of the messages, given the observer of the answer to use
   * @return the observer to give gRPC
   */
  public <Q, R> StreamObserver<Q> stream(
      StreamObserver<R> response,
      Function<Q, String> volumeOf,
      Function<StreamObserver<R>, StreamObserver<Q>> inboundFor) {
    @SuppressWarnings("unchecked")
    ServerCallStreamObserver<R> server = (ServerCallStreamObserver<R>) response;
    server.disableAutoRequest();
    server.request(1);
    Feed<Q, R> feed = new Feed<>(server, volumeOf, Context.current());
    feed.inbound = inboundFor.apply(feed.answer());
    return feed;
  }

  /** One client stream fed to its inbound observer in order, holding a volume's permit. */
  private final class Feed<Q, R> implements StreamObserver<Q> {
    private final ServerCallStreamObserver<R> server;
    private final Function<Q, String> volumeOf;
    private final Context context;
    private StreamObserver<Q> inbound; // set once, before gRPC delivers anything

    // Guarded by this: the last step queued (each runs after the one before it); the permit held
    // once the first message named the volume; whether the call has ended or was refused.
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
    private Semaphore permit;
    private boolean ended;

    Feed(ServerCallStreamObserver<R> server, Function<Q, String> volumeOf, Context context) {
      this.server = server;
      this.volumeOf = volumeOf;
      this.context = context;
    }

    /** The answer's observer: answering ends the call (gRPC delivers nothing more), so it ends. */
    StreamObserver<R> answer() {
      return new StreamObserver<>() {
        @Override
        public void onNext(R value) {
          server.onNext(value);
        }

        @Override
        public void onError(Throwable t) {
          try {
            server.onError(t);
          } finally {
            end();
          }
        }

        @Override
        public void onCompleted() {
          try {
            server.onCompleted();
          } finally {
            end();
          }
        }
      };
    }

    private synchronized void then(Runnable step) {
      tail = tail.thenRunAsync(context.wrap(step), threads);
    }

    /** Takes the permit at the first message; false if the call has ended or is refused. */
    private synchronized boolean admit(Q message) {
      if (ended) {
        return false;
      }
      if (permit == null) {
        String volume = volumeOf.apply(message);
        Semaphore p = permitOf(volume);
        if (!p.tryAcquire()) {
          ended = true;
          server.onError(exhausted(volume));
          return false;
        }
        permit = p;
      }
      return true;
    }

    private synchronized void end() {
      ended = true;
      if (permit != null) {
        permit.release();
        permit = null;
      }
    }

    @Override
    public void onNext(Q value) {
      if (admit(value)) {
        then(
            () -> {
              inbound.onNext(value);
              server.request(1);
            });
      }
    }

    @Override
    public void onError(Throwable t) {
      then(
          () -> {
            try {
              inbound.onError(t);
            } finally {
              end();
            }
          });
    }

    @Override
    public void onCompleted() {
      then(
          () -> {
            try {
              synchronized (this) {
                if (ended) {
                  return;
                }
              }
              inbound.onCompleted();
            } finally {
              end();
            }
          });
    }
  }

  /**
   * Takes one of {@code volume}'s permits for an operation that runs on a thread of its own (a
   * download opens its file on its own virtual thread); the caller must {@link #exit} it.
   *
   * @return false if {@link #MAX_IN_FLIGHT} operations on the volume are running
   */
  public boolean tryEnter(String volume) {
    return permitOf(volume).tryAcquire();
  }

  /** Returns a permit taken with {@link #tryEnter}. */
  public void exit(String volume) {
    permitOf(volume).release();
  }

  private Semaphore permitOf(String volume) {
    return permits.computeIfAbsent(volume, v -> new Semaphore(MAX_IN_FLIGHT));
  }

  /** The refusal of an operation past {@code volume}'s permits. */
  public static RuntimeException exhausted(String volume) {
    return Status.RESOURCE_EXHAUSTED
        .withDescription(
            "at most "
                + MAX_IN_FLIGHT
                + " operations on "
                + (volume.isEmpty() ? "the list of volumes" : "volume '" + volume + "'")
                + " may run at once; wait for some to finish")
        .asRuntimeException();
  }
}
