package dev.skiff.server.runtime;

import dev.skiff.proto.Assignment;
import dev.skiff.proto.AssignmentBatch;
import dev.skiff.proto.FunctionDef;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The input queue of one function's scheduler and its dispatch: queued inputs are assigned to ready
 * containers with free slots, the busiest first, several per message; when every slot is busy, a
 * few are sent ahead (prefetched) to each ready container, as many as cover a short horizon at the
 * function's recent pace. A layer of {@link FunctionScheduler} (see {@link FunctionCore}): it
 * shares the function's one lock, and every method here must be called with it held.
 */
abstract class InputDispatch extends FunctionCore {
  /** How much work, at the function's recent pace, may be sent ahead to a busy container. */
  private static final Duration PREFETCH_HORIZON = Duration.ofMillis(20);

  /** The most inputs sent ahead to one container. */
  private static final int MAX_PREFETCH = 64;

  /** Recent run time of one attempt, from its start to its output here; 0 until measured. */
  private long recentRunNanos; // guarded by lock

  /** Assignments are split into messages of at most about this many argument bytes. */
  private static final int MAX_BATCH_BYTES = 16 * 1024 * 1024;

  // Guarded by lock.
  final LinkedHashSet<Input> queue = new LinkedHashSet<>();
  final Set<Input> waitingToRetry = new HashSet<>();

  InputDispatch(
      AppSpec app,
      FunctionDef def,
      SchedulerContext ctx,
      Map<String, String> secretEnv,
      Optional<ImageRuntime> image) {
    super(app, def, ctx, secretEnv, image);
  }

  /** An attempt ran past the timeout (see {@link AttemptOutcomes}); called without the lock. */
  abstract void onAttemptTimeout(Attempt a);

  void dispatch() {
    assertLocked();
    if (queue.isEmpty()) {
      return;
    }
    long now = nowNanos();
    Map<Container, AssignmentBatch.Builder> batches = new LinkedHashMap<>();
    Map<Container, Long> batchBytes = new HashMap<>();
    while (!queue.isEmpty()) {
      Optional<Container> target =
          containers.values().stream()
              .filter(Container::accepting)
              .min(Comparator.comparingInt(Container::freeSlots));
      if (target.isEmpty()) {
        break;
      }
      Container c = target.get();
      Input in = queue.removeFirst();
      Attempt a = new Attempt(in, ++in.attempts, c);
      sent(in, a, now);
      c.attempts.put(a.key(), a);
      in.state = new InputState.Running(a);
      a.timer = schedule(() -> onAttemptTimeout(a), timeout);
      a.startedAt = ctx.ticker().instant();
      Assignment assignment = assignment(in, a);
      AssignmentBatch.Builder batch = batches.get(c);
      long bytes = batchBytes.getOrDefault(c, 0L);
      if (batch != null && bytes + in.args.size() > MAX_BATCH_BYTES) {
        c.channel.orElseThrow().assign(batch.build());
        batch = null;
        bytes = 0;
      }
      if (batch == null) {
        batch = AssignmentBatch.newBuilder();
        batches.put(c, batch);
      }
      batch.addAssignments(assignment);
      batchBytes.put(c, bytes + in.args.size());
    }
    int depth = prefetchDepth();
    if (!queue.isEmpty() && depth > 0) {
      // Every slot is busy: send a few inputs ahead to each ready container, round robin, so that
      // a container starts its next input without waiting for a round trip through here.
      List<Container> ready =
          containers.values().stream()
              .filter(
                  c ->
                      c.phase == Container.Phase.READY
                          && c.channel.map(ContainerChannel::isOpen).orElse(false))
              .toList();
      boolean progress = true;
      while (!queue.isEmpty() && progress) {
        progress = false;
        for (Container c : ready) {
          if (queue.isEmpty() || c.prefetched.size() >= depth) {
            continue;
          }
          Input in = queue.removeFirst();
          Attempt a = new Attempt(in, ++in.attempts, c);
          sent(in, a, now);
          c.attempts.put(a.key(), a);
          c.prefetched.add(a);
          in.state = new InputState.Running(a);
          batches
              .computeIfAbsent(c, k -> AssignmentBatch.newBuilder())
              .addAssignments(assignment(in, a));
          progress = true;
        }
      }
    }
    batches.forEach((c, batch) -> c.channel.orElseThrow().assign(batch.build()));
  }

  /**
   * Records that {@code in} left the queue for a container, as attempt {@code a}, at {@code now}.
   */
  private void sent(Input in, Attempt a, long now) {
    in.record.attemptStarted(a.number, a.container.id);
    meters.waited(now - in.queuedNanos);
    if (in.attempts == 1) {
      meters.started();
    }
  }

  static Assignment assignment(Input in, Attempt a) {
    Assignment assignment =
        Assignment.newBuilder()
            .setInputId(in.id)
            .setAttempt(a.number)
            .setArgs(in.args)
            .setCredit(in.pendingCredit)
            .build();
    in.pendingCredit = 0;
    return assignment;
  }

  /**
   * How many inputs to send ahead per container: enough to cover about {@link #PREFETCH_HORIZON} of
   * work at the function's recent pace, so that short inputs flow without a round trip each while
   * long ones are never held hostage by a busy container. None for generators, and none until the
   * pace is known.
   */
  private int prefetchDepth() {
    if (def.getGenerator() || recentRunNanos <= 0) {
      return 0;
    }
    long depth = PREFETCH_HORIZON.toNanos() / recentRunNanos - 1;
    return (int) Math.max(0, Math.min(MAX_PREFETCH, depth));
  }

  /** A slot of {@code c} freed: the first prefetched attempt starts now, with its timer. */
  void promotePrefetched(Container c, Instant now) {
    while (!c.prefetched.isEmpty() && c.freeSlots() > 0) {
      Attempt next = c.prefetched.poll();
      next.startedAt = now;
      if (!next.abandoned) {
        next.timer = schedule(() -> onAttemptTimeout(next), timeout);
      }
    }
  }

  /** Folds one attempt's run time into the function's recent pace (an exponential average). */
  void recordRunTime(Attempt a, Instant now) {
    if (a.startedAt == null) {
      return;
    }
    long nanos = Math.max(1, Duration.between(a.startedAt, now).toNanos());
    recentRunNanos = recentRunNanos <= 0 ? nanos : (recentRunNanos * 7 + nanos) / 8;
  }

  void requeue(Input in) {
    assertLocked();
    in.state = new InputState.Queued();
    in.queuedNanos = nowNanos();
    queue.addFirst(in); // it was in line before everything queued since
  }
}
