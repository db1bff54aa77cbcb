package dev.skiff.internal;

import dev.skiff.SkiffException;
import dev.skiff.proto.ClientApiGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.net.ssl.SSLException;

/**
 * Retries the calls that are safe to repeat when they fail with {@code UNAVAILABLE}: a replica of
 * the server died (the channel then connects to another, see {@link ServerListResolver}), or a live
 * replica answers {@code UNAVAILABLE} while the app's ownership moves to it from a dead one; and
 * when a replica shutting down resets them ({@code CANCELLED} that this client did not ask for).
 *
 * <p>Which calls: unary reads ({@code GetAppStatus}, {@code GetAppHistory}, {@code ListApps},
 * {@code LookupFunction}, {@code FindMissingJars}), calls whose repetition changes nothing ({@code
 * RenewAppLease}, {@code StopApp}, {@code UpdateAutoscaler}), and {@code Spawn} and {@code
 * SpawnMany}, whose calls carry ids the client chose ({@code CallRequest.call_id}) so that the
 * server returns the first try's calls to a retry. Not retried: {@code Call}, whose function would
 * run twice after a lost answer; the streams ({@code Map}, {@code Generate}, uploads), which are
 * not replayed; {@code CreateApp} and {@code DeployApp}, whose lost answer would leave a second
 * app; {@code Cancel}, whose second answer would say "not cancelled". {@code GetResult} waits in
 * {@link SpawnedCall}, which retries it up to its own timeout.
 *
 * <p>A failed try is retried after a backoff (100 ms, doubling to 2 s) on a fresh try of the
 * channel, so long as the whole call stays within the budget ({@link #BUDGET_VARIABLE}, default
 * {@link #DEFAULT_BUDGET}) and the call's deadline; then it fails with the last try's failure,
 * described with every address and the number of tries. A try that got an answer, or failed TLS
 * verification, is never retried. Thread-safe; each call's state is guarded by its own lock.
 */
final class UnavailableRetry implements ClientInterceptor {
  /** The environment variable bounding the retries of one call, in seconds (0: no retries). */
  static final String BUDGET_VARIABLE = "SKIFF_FAILOVER_TIMEOUT";

  /** How long one call is retried by default. */
  static final Duration DEFAULT_BUDGET = Duration.ofSeconds(30);

  private static final long FIRST_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(2);

  private static final Set<String> RETRIED =
      Stream.of(
              ClientApiGrpc.getSpawnMethod(),
              ClientApiGrpc.getSpawnManyMethod(),
              ClientApiGrpc.getGetAppStatusMethod(),
              ClientApiGrpc.getGetAppHistoryMethod(),
              ClientApiGrpc.getListAppsMethod(),
              ClientApiGrpc.getLookupFunctionMethod(),
              ClientApiGrpc.getFindMissingJarsMethod(),
              ClientApiGrpc.getRenewAppLeaseMethod(),
              ClientApiGrpc.getStopAppMethod(),
              ClientApiGrpc.getUpdateAutoscalerMethod())
          .map(MethodDescriptor::getFullMethodName)
          .collect(Collectors.toUnmodifiableSet());

  // Daemon threads: a pending retry never keeps the JVM alive.
  private static final class Scheduler {
    static final ScheduledExecutorService INSTANCE =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "skiff-retry");
              t.setDaemon(true);
              return t;
            });
  }

  private final List<String> addresses;
  private final Duration budget;
  private final LongSupplier nanoTime;
  // Set once the channel is built; its connection backoff is reset before each retry.
  private volatile ManagedChannel channel;

  UnavailableRetry(List<String> addresses, Duration budget, LongSupplier nanoTime) {
    this.addresses = addresses;
    this.budget = budget;
    this.nanoTime = nanoTime;
  }

  void channel(ManagedChannel channel) {
    this.channel = channel;
  }

  /**
   * The retry budget named by {@link #BUDGET_VARIABLE}, else {@link #DEFAULT_BUDGET}.
   *
   * @throws SkiffException if the variable is not a whole number of seconds from 0 to 3600
   */
  static Duration budget(Map<String, String> environment) {
    String value = environment.get(BUDGET_VARIABLE);
    if (value == null || value.isBlank()) {
      return DEFAULT_BUDGET;
    }
    long seconds;
    try {
      seconds = Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      seconds = -1;
    }
    if (seconds < 0 || seconds > 3600) {
      throw new SkiffException(
          BUDGET_VARIABLE
              + "='"
              + value
              + "' is not allowed: give how long a call is retried while the server's replicas"
              + " are unavailable, in whole seconds from 0 (no retries) to 3600; the default is "
              + DEFAULT_BUDGET.toSeconds());
    }
    return Duration.ofSeconds(seconds);
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(
      MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    if (method.getType() != MethodDescriptor.MethodType.UNARY
        || !RETRIED.contains(method.getFullMethodName())
        || budget.isZero()) {
      return next.newCall(method, options);
    }
    return new RetryingCall<>(method, options, next);
  }

  /**
   * Whether a failure is worth another try: {@code UNAVAILABLE} (no replica reachable, the
   * connection broke, or a replica taking the app over), or {@code CANCELLED} that neither the
   * caller nor its context asked for (a replica that shuts down resets its open calls so); never a
   * server that failed TLS verification.
   */
  static boolean retryable(Status s, Context context) {
    boolean lost =
        s.getCode() == Status.Code.UNAVAILABLE
            || (s.getCode() == Status.Code.CANCELLED && !context.isCancelled());
    return lost && !untrusted(s);
  }

  private static boolean untrusted(Status s) {
    for (Throwable c = s.getCause(); c != null; c = c.getCause()) {
      if (c instanceof CertificateException || c instanceof SSLException) {
        return true;
      }
    }
    return false;
  }

  /** One unary call, made by as many tries as it takes. */
  private final class RetryingCall<Q, R> extends ClientCall<Q, R> {
    private final MethodDescriptor<Q, R> method;
    private final CallOptions options;
    private final Channel next;
    private final Object lock = new Object();
    // Guarded by lock: the caller's listener, headers and request, the try in flight or the retry
    // scheduled, how many tries were made, and whether the caller cancelled.
    private Listener<R> listener;
    private Metadata headers;
    private Q request;
    private ClientCall<Q, R> current;
    private ScheduledFuture<?> scheduled;
    private boolean cancelled;
    private int tries;
    private long startNanos;
    private long backoffNanos = FIRST_BACKOFF_NANOS;
    private Context context = Context.ROOT;

    RetryingCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
      this.method = method;
      this.options = options;
      this.next = next;
    }

    @Override
    public void start(Listener<R> listener, Metadata headers) {
      synchronized (lock) {
        this.listener = listener;
        this.headers = headers;
      }
    }

    @Override
    public void request(int numMessages) {
      // Each try requests its one answer itself.
    }

    @Override
    public void sendMessage(Q message) {
      synchronized (lock) {
        this.request = message;
      }
    }

    @Override
    public void halfClose() {
      synchronized (lock) {
        startNanos = nanoTime.getAsLong();
        context = Context.current();
      }
      attempt();
    }

    @Override
    public void cancel(String message, Throwable cause) {
      ClientCall<Q, R> c;
      boolean closeHere;
      Listener<R> l;
      synchronized (lock) {
        if (cancelled) {
          return;
        }
        cancelled = true;
        c = current;
        l = listener;
        // Between tries (or before the first) no try will close the caller's listener: close it
        // here. A retry already starting sees the flag and makes no try.
        closeHere = scheduled != null || c == null;
        if (scheduled != null) {
          scheduled.cancel(false);
        }
      }
      if (c != null && !closeHere) {
        c.cancel(message, cause);
      }
      if (closeHere && l != null) {
        l.onClose(Status.CANCELLED.withDescription(message).withCause(cause), new Metadata());
      }
    }

    private void attempt() {
      ClientCall<Q, R> call = next.newCall(method, options);
      Metadata h = new Metadata();
      Q req;
      synchronized (lock) {
        if (cancelled) {
          return;
        }
        scheduled = null;
        current = call;
        tries++;
        h.merge(headers);
        req = request;
      }
      call.start(new TryListener(), h);
      call.request(2);
      call.sendMessage(req);
      call.halfClose();
    }

    /** Retries a failure if allowed; otherwise passes the try's answer on. */
    private final class TryListener extends Listener<R> {
      private Metadata answerHeaders;
      private R answer;

      @Override
      public void onHeaders(Metadata headers) {
        answerHeaders = headers;
      }

      @Override
      public void onMessage(R message) {
        answer = message;
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        Status result = status;
        Listener<R> l;
        synchronized (lock) {
          l = listener;
          if (retryable(status, context) && answer == null && !cancelled) {
            long elapsed = nanoTime.getAsLong() - startNanos;
            Deadline deadline = options.getDeadline();
            boolean inBudget = elapsed + backoffNanos <= budget.toNanos();
            boolean beforeDeadline =
                deadline == null || deadline.timeRemaining(TimeUnit.NANOSECONDS) > backoffNanos;
            if (inBudget && beforeDeadline) {
              long delay = backoffNanos;
              backoffNanos = Math.min(2 * backoffNanos, MAX_BACKOFF_NANOS);
              scheduled =
                  Scheduler.INSTANCE.schedule(
                      () -> {
                        ManagedChannel c = channel;
                        if (c != null) {
                          // Reconnect now, not after gRPC's own backoff (up to two minutes).
                          c.resetConnectBackoff();
                        }
                        attempt();
                      },
                      delay,
                      TimeUnit.NANOSECONDS);
              return;
            }
            result =
                Status.UNAVAILABLE
                    .withDescription(
                        "gave up after "
                            + tries
                            + (tries == 1 ? " try" : " tries")
                            + " in "
                            + Duration.ofMillis(TimeUnit.NANOSECONDS.toMillis(elapsed))
                            + " at the server's addresses "
                            + String.join(", ", addresses)
                            + " (retries last at most "
                            + budget.toSeconds()
                            + " s, set by "
                            + BUDGET_VARIABLE
                            + "); the last error: "
                            + status.getDescription())
                    .withCause(status.getCause());
          }
        }
        if (answerHeaders != null) {
          l.onHeaders(answerHeaders);
        }
        if (answer != null) {
          l.onMessage(answer);
        }
        l.onClose(result, trailers);
      }
    }
  }
}
