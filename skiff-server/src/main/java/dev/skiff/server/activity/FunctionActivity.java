package dev.skiff.server.activity;

import dev.skiff.proto.CallKind;
import dev.skiff.proto.CallSummary;
import dev.skiff.proto.MinuteStats;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * What one function's calls did lately: its last {@link Activity#CALLS_PER_FUNCTION} calls, and per
 * minute over the last hour its finished calls, failures, durations (a sample of at most {@value
 * #SAMPLES_PER_MINUTE} per minute, for the percentiles) and cold starts. Every method takes this
 * object's lock, briefly: its scheduler calls them while it holds its own.
 */
public final class FunctionActivity {
  static final int MINUTES = 60;
  static final int SAMPLES_PER_MINUTE = 512;

  final String appId;
  final String appName;
  final String name;
  private final Clock clock;
  private final CallRecord[] calls;
  private int next; // where the next call goes in calls
  private long count; // calls ever recorded
  private final Minute[] minutes = new Minute[MINUTES];

  /** One minute of the last hour. */
  private static final class Minute {
    final long startMs;
    int calls;
    int failures;
    int coldStarts;
    long coldStartMillis;
    final long[] durationsUs = new long[SAMPLES_PER_MINUTE];
    int sampled;

    Minute(long startMs) {
      this.startMs = startMs;
    }
  }

  FunctionActivity(String appId, String appName, String name, Clock clock, int keep) {
    this.appId = appId;
    this.appName = appName;
    this.name = name;
    this.clock = clock;
    this.calls = new CallRecord[keep];
  }

  /**
   * A call that was just submitted; {@code id} names it (a call id, or {@code in-N}). The oldest
   * remembered call makes room.
   */
  public synchronized CallRecord submitted(CallKind kind, String id) {
    CallRecord r = new CallRecord(this, id, kind, now());
    calls[next] = r;
    next = (next + 1) % calls.length;
    count++;
    return r;
  }

  /** A container started for the function became ready after {@code took}. */
  public synchronized void coldStarted(Duration took) {
    Minute m = minute(now());
    m.coldStarts++;
    m.coldStartMillis += took.toMillis();
  }

  synchronized void recordFinished(long atMs, long tookMs, boolean failed) {
    Minute m = minute(atMs);
    m.calls++;
    if (failed) {
      m.failures++;
    }
    long us = Math.max(0, tookMs) * 1000;
    if (m.sampled < SAMPLES_PER_MINUTE) {
      m.durationsUs[m.sampled++] = us;
    } else {
      // Reservoir sampling: every call of the minute is as likely to be in the sample.
      long j = Math.floorMod(Long.hashCode(atMs * 31 + m.calls), m.calls);
      if (j < SAMPLES_PER_MINUTE) {
        m.durationsUs[(int) j] = us;
      }
    }
  }

  long now() {
    return clock.millis();
  }

  private Minute minute(long atMs) {
    long start = atMs - Math.floorMod(atMs, 60_000L);
    int slot = (int) Math.floorMod(start / 60_000L, MINUTES);
    Minute m = minutes[slot];
    if (m == null || m.startMs != start) {
      m = new Minute(start);
      minutes[slot] = m;
    }
    return m;
  }

  /** The remembered calls that {@code which} accepts, newest first. */
  synchronized List<CallSummary> calls(Predicate<CallRecord> which, int limit) {
    List<CallSummary> out = new ArrayList<>();
    int n = (int) Math.min(count, calls.length);
    for (int i = 1; i <= n && out.size() < limit; i++) {
      CallRecord r = calls[Math.floorMod(next - i, calls.length)];
      if (which.test(r)) {
        out.add(r.summary(appId, appName, name));
      }
    }
    return out;
  }

  /** The remembered call with this id. */
  synchronized Optional<CallSummary> find(String id) {
    return calls(r -> r.id.equals(id), 1).stream().findFirst();
  }

  /** The last hour, oldest minute first, minutes without activity left out. */
  synchronized List<MinuteStats> lastHour() {
    long now = now();
    long oldest = now - now % 60_000L - (MINUTES - 1) * 60_000L;
    List<Minute> kept = new ArrayList<>();
    for (Minute m : minutes) {
      if (m != null && m.startMs >= oldest) {
        kept.add(m);
      }
    }
    kept.sort((a, b) -> Long.compare(a.startMs, b.startMs));
    List<MinuteStats> out = new ArrayList<>(kept.size());
    for (Minute m : kept) {
      long[] sample = Arrays.copyOf(m.durationsUs, m.sampled);
      Arrays.sort(sample);
      out.add(
          MinuteStats.newBuilder()
              .setMinuteMs(m.startMs)
              .setCalls(m.calls)
              .setFailures(m.failures)
              .setP50Us(percentile(sample, 0.50))
              .setP99Us(percentile(sample, 0.99))
              .setColdStarts(m.coldStarts)
              .setColdStartMeanMs(m.coldStarts == 0 ? 0 : m.coldStartMillis / m.coldStarts)
              .build());
    }
    return out;
  }

  private static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }
}
