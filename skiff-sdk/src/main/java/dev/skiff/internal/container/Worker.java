package dev.skiff.internal.container;

import com.google.protobuf.ByteString;
import dev.skiff.PayloadException;
import dev.skiff.internal.AppBinding;
import dev.skiff.internal.Blobs;
import dev.skiff.internal.ContainerContext;
import dev.skiff.internal.ErrorCodec;
import dev.skiff.internal.PayloadCodec;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.Assignment;
import dev.skiff.proto.Bind;
import dev.skiff.proto.ContainerApiGrpc;
import dev.skiff.proto.ContainerMessage;
import dev.skiff.proto.ControlMessage;
import dev.skiff.proto.ErrorInfo;
import dev.skiff.proto.ErrorKind;
import dev.skiff.proto.GeneratorItem;
import dev.skiff.proto.Heartbeat;
import dev.skiff.proto.Output;
import dev.skiff.proto.OutputBatch;
import dev.skiff.proto.Result;
import io.grpc.stub.StreamObserver;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.BaseStream;

/**
 * Runs the inputs a container is given, each on its own virtual thread, and reports outputs,
 * generator items and heartbeats on the container's stream.
 *
 * <p>A generator runs only while it has credit: each item sent spends one, and the caller grants
 * more as it consumes them, so a slow caller holds the generator back. A cancelled input's thread
 * is interrupted and its stream closed; the control plane kills the container if the code does not
 * stop.
 */
final class Worker {
  /** An output batch stops growing past this many bytes. */
  private static final long MAX_OUTPUT_BATCH_BYTES = 16L * 1024 * 1024;

  private volatile String function = "?";
  private final CompletableFuture<Bind> bind = new CompletableFuture<>();
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final ConcurrentHashMap<Long, Running> running = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Output> outputs = new ConcurrentLinkedQueue<>();
  private final ReentrantLock sending = new ReentrantLock();
  // Sends the outputs of inputs that finish while more wait here, so that they go out together.
  private final Thread sender =
      Thread.ofPlatform().daemon().name("skiff-outputs").unstarted(this::batchOutputs);
  // At most `concurrency` inputs run at once; later assignments wait in `waiting`, in arrival
  // order (the control plane may send a few ahead so the container never idles between inputs).
  // Guarded by slotLock.
  private final Object slotLock = new Object();
  private final ArrayDeque<Assignment> waiting = new ArrayDeque<>();
  private int freeSlots = 1;
  private final CountDownLatch exit = new CountDownLatch(1);
  private volatile int exitCode;
  private StreamObserver<ContainerMessage> outbound; // guarded by this
  private Method method;
  private PayloadCodec.ArgsCodec args;
  private PayloadCodec.ValueCodec result;
  private boolean generator;

  /** Set when the function serves a web endpoint: its inputs are HTTP requests. */
  private WebInvocation web;

  /** One input being run. */
  private static final class Running {
    final Semaphore credit = new Semaphore(0);
    volatile Thread thread;
    volatile boolean cancelled;
  }

  Worker() {}

  /** Waits for the function of a warm container; exits if the stream ends first. */
  Bind awaitBind() throws InterruptedException {
    try {
      return bind.get();
    } catch (ExecutionException e) {
      finishAndExit(exitCode);
      throw new IllegalStateException("unreachable");
    }
  }

  void connect(ContainerApiGrpc.ContainerApiStub stub) {
    StreamObserver<ContainerMessage> out = stub.connect(new Inbound());
    synchronized (this) {
      outbound = out;
    }
    Thread.ofPlatform().daemon().name("skiff-heartbeat").start(this::heartbeat);
    sender.start();
  }

  synchronized void send(ContainerMessage message) {
    outbound.onNext(message);
  }

  void serve(
      String function,
      Method method,
      PayloadCodec.ArgsCodec args,
      PayloadCodec.ValueCodec result,
      boolean generator,
      int concurrency) {
    this.function = function;
    this.method = method;
    this.args = args;
    this.result = result;
    this.generator = generator;
    this.web = WebInvocation.forMethod(method).orElse(null);
    synchronized (slotLock) {
      this.freeSlots = Math.max(1, concurrency);
    }
  }

  private void batchOutputs() {
    while (true) {
      LockSupport.park(this);
      sendOutputs();
    }
  }

  /**
   * Sends the outputs that have completed, in one message, unless another thread is sending: that
   * one looks again before it lets go, and takes them. A lone output leaves from the thread that
   * produced it, without a hand-off; the outputs of inputs sent ahead are batched by the sender
   * thread, so a burst of short inputs costs few messages.
   */
  private void sendOutputs() {
    while (!outputs.isEmpty() && sending.tryLock()) {
      try {
        OutputBatch.Builder batch = OutputBatch.newBuilder();
        Output next;
        long bytes = 0;
        // Far below the server's message limit (64 MiB by default), even with large results.
        while (batch.getOutputsCount() < 1024
            && bytes < MAX_OUTPUT_BATCH_BYTES
            && (next = outputs.poll()) != null) {
          batch.addOutputs(next);
          bytes += next.getSerializedSize();
        }
        if (batch.getOutputsCount() == 0) {
          continue;
        }
        try {
          send(ContainerMessage.newBuilder().setOutputs(batch).build());
        } catch (RuntimeException e) {
          // the stream failed; Inbound.onError ends the container
        }
      } finally {
        sending.unlock();
      }
      // An output added while this thread sent, by a thread whose tryLock failed, is still queued:
      // the loop looks again.
    }
  }

  void awaitExit() throws InterruptedException {
    exit.await();
    System.out.flush();
    System.err.flush();
    Runtime.getRuntime().halt(exitCode);
  }

  void finishAndExit(int code) {
    synchronized (this) {
      try {
        outbound.onCompleted();
      } catch (RuntimeException ignored) {
        // the stream is gone already
      }
    }
    try {
      Thread.sleep(200); // let the last message leave the socket
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    System.out.flush();
    System.err.flush();
    Runtime.getRuntime().halt(code);
  }

  private void heartbeat() {
    while (exit.getCount() > 0) {
      try {
        Thread.sleep(1000);
        send(
            ContainerMessage.newBuilder()
                .setHeartbeat(Heartbeat.newBuilder().setRunningInputs(running.size()))
                .build());
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // the stream failed; Inbound.onError ends the container
      }
    }
  }

  private void start(Assignment a) {
    Running r = new Running();
    r.credit.release(a.getCredit());
    running.put(a.getInputId(), r);
    synchronized (slotLock) {
      if (freeSlots == 0) {
        waiting.add(a);
        return;
      }
      freeSlots--;
    }
    launch(a, r);
  }

  private void launch(Assignment a, Running r) {
    executor.execute(
        () -> {
          r.thread = Thread.currentThread();
          Result outcome =
              r.cancelled
                  ? error(ErrorCodec.of(ErrorKind.CANCELLED, "input was cancelled"))
                  : run(a, r);
          running.remove(a.getInputId());
          Thread.interrupted(); // a late cancellation must not leak into the next input
          Assignment next;
          synchronized (slotLock) {
            next = waiting.poll();
            if (next == null) {
              freeSlots++;
            }
          }
          // With more inputs queued here (sent ahead), the sender thread batches this output with
          // the next ones; else it leaves from this thread at once.
          output(a, outcome, next != null);
          if (next != null) {
            launch(next, running.get(next.getInputId()));
          }
        });
  }

  private void output(Assignment a, Result outcome) {
    output(a, outcome, false);
  }

  private void output(Assignment a, Result outcome, boolean moreQueued) {
    outputs.add(
        Output.newBuilder()
            .setInputId(a.getInputId())
            .setAttempt(a.getAttempt())
            .setResult(outcome)
            .build());
    if (moreQueued) {
      LockSupport.unpark(sender);
    } else {
      sendOutputs();
    }
  }

  private Result run(Assignment a, Running r) {
    if (web != null) {
      // A web endpoint's input: WebInvocation maps the HTTP request and encodes the answer.
      return guarded(r, () -> Result.newBuilder().setValue(web.handle(a.getArgs())).build());
    }
    byte[] payload;
    try {
      payload = Blobs.incoming(a.getArgs(), client());
    } catch (PayloadException e) {
      return error(ErrorCodec.of(ErrorKind.ENCODING, e.getMessage()));
    } catch (RuntimeException e) {
      // The arguments were uploaded as a blob that cannot be fetched: the attempt fails now, rather
      // than leaving its input without an outcome until its timeout.
      return error(
          ErrorCodec.of(
              ErrorKind.INTERNAL,
              "could not fetch the arguments of '"
                  + function
                  + "' (a payload past the inline limit, stored as a blob on the server): "
                  + e.getMessage()));
    }
    Object[] values;
    try {
      values = args.decode(payload, function);
    } catch (PayloadException e) {
      return error(ErrorCodec.of(ErrorKind.ENCODING, e.getMessage()));
    }
    return guarded(
        r,
        () -> {
          Object value = method.invoke(null, values);
          if (generator) {
            stream(a, r, value);
            return Result.newBuilder().setValue(ByteString.EMPTY).build();
          }
          if (value instanceof CompletionStage<?> stage) {
            value = stage.toCompletableFuture().get();
          }
          byte[] bytes = result.encode(value, "result of '" + function + "'");
          return Result.newBuilder().setValue(outgoing(bytes)).build();
        });
  }

  /** Runs the user's part of an input, turning whatever it throws into the input's error. */
  private Result guarded(Running r, UserCode code) {
    try {
      return code.run();
    } catch (InvocationTargetException | ExecutionException e) {
      return userError(r, e.getCause() == null ? e : e.getCause());
    } catch (PayloadException e) {
      return error(ErrorCodec.of(ErrorKind.ENCODING, e.getMessage()));
    } catch (InterruptedException e) {
      return error(ErrorCodec.of(ErrorKind.CANCELLED, "input was cancelled"));
    } catch (Throwable e) {
      return userError(r, e);
    }
  }

  /** The user's part of an input. */
  @FunctionalInterface
  private interface UserCode {
    Result run() throws Exception;
  }

  private static SkiffClient client() {
    return ContainerContext.current().orElseThrow().client();
  }

  private static ByteString outgoing(byte[] payload) {
    AppBinding b = ContainerContext.current().orElseThrow();
    return Blobs.outgoing(payload, b.client(), b.appId());
  }

  private Result userError(Running r, Throwable t) {
    if (r.cancelled) {
      return error(ErrorCodec.of(ErrorKind.CANCELLED, "input was cancelled"));
    }
    return error(ErrorCodec.fromThrowable(t, ErrorKind.USER_EXCEPTION));
  }

  private static Result error(ErrorInfo e) {
    return Result.newBuilder().setError(e).build();
  }

  /** Sends a generator's items, one credit each; closes what the method returned when done. */
  private void stream(Assignment a, Running r, Object produced) throws Exception {
    AutoCloseable closer = produced instanceof AutoCloseable c ? c : null;
    Iterator<?> items =
        switch (produced) {
          case null -> Collections.emptyIterator();
          case BaseStream<?, ?> s -> s.iterator();
          case Iterator<?> it -> it;
          case Iterable<?> it -> it.iterator();
          default ->
              throw new IllegalStateException(
                  "generator '"
                      + function
                      + "' returned "
                      + produced.getClass().getName()
                      + "; expected a Stream, Iterator or Iterable");
        };
    try {
      while (true) {
        r.credit.acquire();
        if (r.cancelled) {
          throw new InterruptedException();
        }
        if (!items.hasNext()) {
          return;
        }
        byte[] bytes = result.encode(items.next(), "item of generator '" + function + "'");
        send(
            ContainerMessage.newBuilder()
                .setItem(
                    GeneratorItem.newBuilder()
                        .setInputId(a.getInputId())
                        .setAttempt(a.getAttempt())
                        .setItem(outgoing(bytes)))
                .build());
      }
    } finally {
      if (closer != null) {
        closer.close();
      }
    }
  }

  private void cancel(long inputId) {
    Assignment dropped = null;
    synchronized (slotLock) {
      for (Assignment w : waiting) {
        if (w.getInputId() == inputId) {
          dropped = w;
          break;
        }
      }
      if (dropped != null) {
        waiting.remove(dropped);
      }
    }
    if (dropped != null) {
      running.remove(inputId);
      output(dropped, error(ErrorCodec.of(ErrorKind.CANCELLED, "input was cancelled")));
      return;
    }
    Running r = running.get(inputId);
    if (r != null) {
      r.cancelled = true;
      r.credit.release(); // wake a generator waiting for credit
      Thread t = r.thread;
      if (t != null) {
        t.interrupt();
      }
    }
  }

  private void shutdown() {
    bind.completeExceptionally(new IllegalStateException("shut down before being bound"));
    executor.shutdown();
    Thread.ofVirtual()
        .start(
            () -> {
              try {
                executor.awaitTermination(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              exitCode = 0;
              exit.countDown();
            });
  }

  private final class Inbound implements StreamObserver<ControlMessage> {
    @Override
    public void onNext(ControlMessage m) {
      switch (m.getMsgCase()) {
        case ASSIGNMENTS -> m.getAssignments().getAssignmentsList().forEach(Worker.this::start);
        case CANCEL -> cancel(m.getCancel().getInputId());
        case CREDIT -> {
          Running r = running.get(m.getCredit().getInputId());
          if (r != null) {
            r.credit.release(m.getCredit().getCredit());
          }
        }
        case SHUTDOWN -> shutdown();
        case BIND -> bind.complete(m.getBind());
        case MSG_NOT_SET -> {}
      }
    }

    @Override
    public void onError(Throwable t) {
      exitCode = 4;
      bind.completeExceptionally(t);
      exit.countDown();
    }

    @Override
    public void onCompleted() {
      exitCode = 0;
      bind.completeExceptionally(new IllegalStateException("the control plane closed the stream"));
      exit.countDown();
    }
  }
}
