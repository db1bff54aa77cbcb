package dev.skiff.server.schedule;

import com.google.protobuf.ByteString;
import dev.skiff.internal.PayloadCodec;
import dev.skiff.proto.AppHistory;
import dev.skiff.proto.CallKind;
import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.ErrorKind;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.NextRun;
import dev.skiff.proto.Result;
import dev.skiff.proto.ScheduledRun;
import dev.skiff.server.common.RandomIds;
import dev.skiff.server.common.Statuses;
import dev.skiff.server.runtime.AppDirectory;
import dev.skiff.server.runtime.CallOrigin;
import dev.skiff.server.runtime.Failures;
import dev.skiff.server.runtime.FunctionInputs;
import dev.skiff.server.runtime.InputListener;
import dev.skiff.server.runtime.RunningApp;
import java.lang.System.Logger.Level;
import java.lang.reflect.Type;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Fires the schedules ({@code Every} and {@code Cron}) of running apps, and keeps each app's
 * history of scheduled runs.
 *
 * <p><b>Firing rule.</b> Each scheduled function has one pending fire time, {@code due}. Whenever
 * the runner wakes and the clock reads {@code now >= due}, it submits <em>one</em> input for that
 * function and sets {@code due} to the trigger's first fire time strictly after {@code now} (not
 * after the old {@code due}). Hence:
 *
 * <ul>
 *   <li>No tick fires twice: the new {@code due} lies after every fire time already handled, and a
 *       clock that goes backwards only delays the next run.
 *   <li>Ticks missed because the clock jumped, the machine slept or the timer ran late run
 *       <em>once</em>, as a single input, not as a flood that catches up on each missed tick; the
 *       schedule then continues at its regular fire times.
 * </ul>
 *
 * A tick fires even while an earlier run of the same function is still going (fixed rate): runs are
 * inputs, so they queue and scale like any other input.
 *
 * <p><b>At most once across crashes.</b> The run of a kept (deployed) function is stored before its
 * input is submitted ({@link Persistence#runStarted} returns once it is durable), and a restarted
 * server resumes after the latest stored tick. So a server killed at any moment fires no tick
 * twice: a tick whose run was stored is never fired again, even if its input never reached a
 * container (the restore then records that run as failed, with the reason); a tick whose run was
 * not stored had no input yet, and counts as missed. A run that could not be stored is not
 * submitted at all.
 *
 * <p><b>Runs.</b> Each run is an input of the function, submitted through its {@link
 * FunctionInputs}, so the function's retries, timeouts and autoscaling apply. The app's history
 * records each run (its tick, when it was submitted, when it finished and its final result), oldest
 * first, keeping the newest {@value #HISTORY_LIMIT}; it lives as long as the app.
 *
 * <p><b>Time.</b> All times come from the injected {@link Clock}. The runner re-arms a one-shot
 * timer for the earliest {@code due}, but sleeps at most {@link #MAX_SLEEP} so that a clock that
 * jumps is noticed soon; tests drive {@link #tick()} directly.
 *
 * <p><b>Threading.</b> Thread-safe. One lock guards the schedules and histories; inputs are
 * submitted, and results recorded, without holding it across a scheduler call. Firing waits for the
 * store on the timer thread.
 *
 * <p><b>Ownership.</b> The runner is the single authority for when each scheduled function fires;
 * where a deployed app resumes after a restart comes from its {@link Persistence} (the deployments
 * and the store's runs). Several control planes sharing a store would each fire every schedule:
 * firing needs one leader per app (docs/DESIGN.md, section 12).
 */
public final class ScheduleRunner implements AppDirectory.Listener {
  private static final System.Logger LOG = System.getLogger(ScheduleRunner.class.getName());

  /** The most runs kept per app. */
  public static final int HISTORY_LIMIT = 1000;

  /** The longest the runner sleeps between two looks at the clock. */
  static final Duration MAX_SLEEP = Duration.ofSeconds(1);

  private static final ByteString NO_ARGUMENTS =
      ByteString.copyFrom(
          PayloadCodec.forParameters(new Type[0]).encode(new Object[0], "schedule"));

  /** Submits one input of a scheduled function, reporting its outcome to the listener. */
  @FunctionalInterface
  interface Launcher {
    void submit(InputListener listener);
  }

  /**
   * A scheduled function of an app.
   *
   * @param function its name
   * @param trigger when it is due
   * @param launcher how one run is submitted
   */
  record Scheduled(String function, Trigger trigger, Launcher launcher) {}

  /** One scheduled function and its next fire time. Guarded by the runner's lock. */
  private static final class Entry {
    final Scheduled scheduled;
    Optional<Instant> due;

    Entry(Scheduled scheduled, Optional<Instant> due) {
      this.scheduled = scheduled;
      this.due = due;
    }
  }

  /** One run. Guarded by the runner's lock. */
  private static final class Run {
    final String function;
    final Instant scheduledAt;
    final Instant startedAt;
    Instant finishedAt;
    Result result;

    Run(String function, Instant scheduledAt, Instant startedAt) {
      this.function = function;
      this.scheduledAt = scheduledAt;
      this.startedAt = startedAt;
    }
  }

  /**
   * Keeps the schedules of deployed apps across restarts: where each resumes, and their runs.
   * Functions it does not keep ({@link #resume} empty) start counting when their app starts and
   * keep their history in memory.
   */
  public interface Persistence {
    /**
     * Where a function's schedule resumes: the instant its trigger counts from (the deployment) and
     * the latest tick that already ran, if any. The next due tick is the first after that tick, so
     * a tick missed while the server was down runs once, at once.
     */
    Optional<Resume> resume(String appId, String function);

    /** Whether the app's runs are kept (it is deployed). */
    boolean keeps(String appId);

    /**
     * Records the start of a run of a kept function, before its input is submitted; returns once
     * the record is durable.
     *
     * @throws RuntimeException if it could not be recorded: the run is then not submitted
     */
    void runStarted(String appId, String runId, String function, Instant tick, Instant startedAt);

    /** Records the end of a run of a kept function. */
    void runFinished(String appId, String runId, Instant at, Result result);
  }

  /**
   * @param anchor the instant the function's trigger counts from
   * @param lastTick the latest tick that ran, if any
   */
  public record Resume(Instant anchor, Optional<Instant> lastTick) {}

  private final Clock clock;
  private final ScheduledExecutorService timer;
  private final Consumer<Duration> lag;
  private volatile Optional<Persistence> persistence = Optional.empty();
  // Run ids of kept runs, by run. Guarded by lock.
  private final IdentityHashMap<Run, String> keptRuns = new IdentityHashMap<>();

  // Guards every field below and the fields of Entries and Runs.
  private final Object lock = new Object();
  private final Map<String, List<Entry>> schedules = new HashMap<>();
  private final Map<String, ArrayDeque<Run>> histories = new HashMap<>();
  private ScheduledFuture<?> wakeup;
  private boolean closed;

  public ScheduleRunner(Clock clock, ScheduledExecutorService timer) {
    this(clock, timer, late -> {});
  }

  /**
   * A runner that tells {@code lag} how late each run fired after its tick (the scheduler lag
   * metric); it is called on the timer thread and must not block.
   */
  public ScheduleRunner(Clock clock, ScheduledExecutorService timer, Consumer<Duration> lag) {
    this.clock = clock;
    this.timer = timer;
    this.lag = lag;
  }

  // ------------------------------------------------------------------------------ apps

  /** Checks the schedules of an app definition; throws INVALID_ARGUMENT naming the problem. */
  public static void validate(CreateAppRequest request) {
    for (FunctionDef f : request.getFunctionsList()) {
      if (!f.hasSchedule()) {
        continue;
      }
      String fn = "function '" + f.getName() + "' of app '" + request.getAppName() + "': ";
      if (!f.getMethodDescriptor().startsWith("()")) {
        throw Statuses.invalid(
            fn
                + "schedule is only allowed on functions without parameters; its method is "
                + f.getMethodName()
                + f.getMethodDescriptor());
      }
      if (f.getGenerator()) {
        throw Statuses.invalid(fn + "schedule is not supported for generators");
      }
      try {
        Trigger.of(f.getSchedule(), Instant.EPOCH);
      } catch (IllegalArgumentException e) {
        throw Statuses.invalid(fn + e.getMessage());
      }
    }
  }

  /** Keeps the schedules and runs of deployed apps with {@code p} from now on. */
  public void persistence(Persistence p) {
    this.persistence = Optional.of(p);
  }

  @Override
  public void started(RunningApp app) {
    Instant start = clock.instant();
    List<Scheduled> scheduled = new ArrayList<>();
    Map<String, Instant> from = new HashMap<>();
    for (FunctionInputs f : app.functions().values()) {
      FunctionDef def = f.def();
      if (def.hasSchedule()) {
        Optional<Resume> resume = persistence.flatMap(p -> p.resume(app.spec().id(), f.name()));
        Instant anchor = resume.map(Resume::anchor).orElse(start);
        Trigger trigger = Trigger.of(def.getSchedule(), anchor);
        resume.ifPresent(r -> from.put(f.name(), r.lastTick().orElse(anchor)));
        scheduled.add(
            new Scheduled(
                f.name(),
                trigger,
                listener ->
                    f.submit(
                        f.newInput(
                            NO_ARGUMENTS, listener, CallOrigin.of(CallKind.CALL_SCHEDULED)))));
      }
    }
    if (!scheduled.isEmpty()) {
      register(app.spec().id(), scheduled, start, from);
    }
  }

  @Override
  public void stopped(RunningApp app) {
    unregister(app.spec().id());
  }

  /** Starts firing an app's schedules, counting from {@code start}. */
  void register(String appId, List<Scheduled> functions, Instant start) {
    register(appId, functions, start, Map.of());
  }

  /**
   * Starts firing an app's schedules: each function's first due tick is the first after {@code
   * from} (by function name), else after {@code start}.
   */
  void register(String appId, List<Scheduled> functions, Instant start, Map<String, Instant> from) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      List<Entry> entries = new ArrayList<>();
      for (Scheduled s : functions) {
        entries.add(new Entry(s, s.trigger().nextAfter(from.getOrDefault(s.function(), start))));
        LOG.log(
            Level.DEBUG, "app {0}: function ''{1}'' runs on {2}", appId, s.function(), s.trigger());
      }
      schedules.put(appId, entries);
      histories.putIfAbsent(appId, new ArrayDeque<>());
      arm();
    }
  }

  /** Stops an app's schedules and forgets its history. */
  void unregister(String appId) {
    synchronized (lock) {
      schedules.remove(appId);
      histories.remove(appId);
    }
  }

  /** The app's scheduled runs, oldest first; empty if the app has no schedule. */
  public AppHistory history(String appId) {
    AppHistory.Builder b = AppHistory.newBuilder();
    synchronized (lock) {
      for (Run r : histories.getOrDefault(appId, new ArrayDeque<>())) {
        ScheduledRun.Builder run =
            ScheduledRun.newBuilder()
                .setFunctionName(r.function)
                .setScheduledAtMs(r.scheduledAt.toEpochMilli())
                .setStartedAtMs(r.startedAt.toEpochMilli());
        if (r.result != null) {
          run.setFinishedAtMs(r.finishedAt.toEpochMilli()).setResult(r.result);
        }
        b.addRuns(run);
      }
    }
    return b.build();
  }

  /** When each scheduled function of the app {@code appId} runs next, by function name. */
  public List<NextRun> nextRuns(String appId) {
    List<NextRun> out = new ArrayList<>();
    synchronized (lock) {
      for (Entry e : schedules.getOrDefault(appId, List.of())) {
        e.due.ifPresent(
            due ->
                out.add(
                    NextRun.newBuilder()
                        .setFunctionName(e.scheduled.function())
                        .setDueAtMs(due.toEpochMilli())
                        .build()));
      }
    }
    return out;
  }

  /** Stops firing; runs already submitted go on. */
  public void close() {
    synchronized (lock) {
      closed = true;
      schedules.clear();
      if (wakeup != null) {
        wakeup.cancel(false);
      }
    }
  }

  // ------------------------------------------------------------------------------ firing

  /** Fires what is due now (see the class comment for the rule) and re-arms the timer. */
  void tick() {
    record Firing(String appId, Entry entry, Instant tick) {}
    List<Firing> firings = new ArrayList<>();
    Instant now = clock.instant();
    synchronized (lock) {
      for (Map.Entry<String, List<Entry>> app : schedules.entrySet()) {
        for (Entry e : app.getValue()) {
          if (e.due.isPresent() && !now.isBefore(e.due.get())) {
            firings.add(new Firing(app.getKey(), e, e.due.get()));
            e.due = e.scheduled.trigger().nextAfter(now);
          }
        }
      }
    }
    for (Firing f : firings) {
      fire(f.appId(), f.entry().scheduled, f.tick(), now);
    }
    synchronized (lock) {
      arm();
    }
  }

  private void fire(String appId, Scheduled s, Instant tick, Instant now) {
    lag.accept(Duration.between(tick, now));
    Run run = new Run(s.function(), tick, now);
    synchronized (lock) {
      ArrayDeque<Run> history = histories.get(appId);
      if (history == null) {
        return; // the app stopped meanwhile
      }
      history.addLast(run);
      while (history.size() > HISTORY_LIMIT) {
        history.removeFirst();
      }
    }
    LOG.log(Level.DEBUG, "app {0}: scheduled run of ''{1}'' for {2}", appId, s.function(), tick);
    Optional<Persistence> kept = persistence.filter(p -> p.keeps(appId));
    if (kept.isPresent()) {
      // Intent first: the run is durable before its input exists, so a server that dies at any
      // point after this never fires this tick again (resume counts it as run).
      String runId = RandomIds.token();
      try {
        kept.get().runStarted(appId, runId, s.function(), tick, now);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "scheduled run of '" + s.function() + "' could not be recorded", e);
        finished(
            run,
            Failures.result(
                Failures.error(
                    ErrorKind.INTERNAL,
                    "the scheduled run could not be recorded, so it did not run: " + e)));
        return;
      }
      synchronized (lock) {
        keptRuns.put(run, appId + "\u0000" + runId);
      }
    }
    try {
      s.launcher().submit(result -> finished(run, result));
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "scheduled run of '" + s.function() + "' could not start", e);
      finished(
          run,
          Failures.result(
              Failures.error(ErrorKind.INTERNAL, "the scheduled run could not start: " + e)));
    }
  }

  private void finished(Run run, Result result) {
    Instant at = clock.instant();
    String kept;
    synchronized (lock) {
      run.finishedAt = at;
      run.result = result;
      kept = keptRuns.remove(run);
    }
    if (kept != null) {
      int sep = kept.indexOf('\u0000');
      persistence.ifPresent(
          p -> p.runFinished(kept.substring(0, sep), kept.substring(sep + 1), at, result));
    }
  }

  /** Schedules the next wake-up for the earliest due time, at most {@link #MAX_SLEEP} away. */
  private void arm() {
    if (closed) {
      return;
    }
    Instant now = clock.instant();
    Instant wake = now.plus(MAX_SLEEP);
    for (List<Entry> entries : schedules.values()) {
      for (Entry e : entries) {
        if (e.due.isPresent() && e.due.get().isBefore(wake)) {
          wake = e.due.get();
        }
      }
    }
    long delayNanos = Math.max(0, Duration.between(now, wake).toNanos());
    if (wakeup != null) {
      wakeup.cancel(false);
    }
    if (schedules.isEmpty()) {
      wakeup = null;
      return;
    }
    try {
      wakeup = timer.schedule(this::safeTick, delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      wakeup = null; // the control plane is shutting down
    }
  }

  private void safeTick() {
    try {
      tick();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "firing schedules failed", e);
      synchronized (lock) {
        arm();
      }
    }
  }
}
