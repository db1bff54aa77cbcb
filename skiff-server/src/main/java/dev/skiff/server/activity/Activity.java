package dev.skiff.server.activity;

import dev.skiff.proto.CallSummary;
import dev.skiff.proto.MinuteStats;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The recent activity of a control plane's functions: one {@link FunctionActivity} per running
 * function, and those of the last {@value #RETIRED_FUNCTIONS} functions that stopped (so that a
 * stopped app's last calls can still be looked at). Memory is bounded: at most {@value
 * #CALLS_PER_FUNCTION} calls per function and an hour of minutes. Thread-safe.
 */
public final class Activity {
  public static final int CALLS_PER_FUNCTION = 500;
  static final int RETIRED_FUNCTIONS = 64;

  /** The most calls one query answers with. */
  public static final int MAX_LIMIT = 500;

  private final Clock clock;
  private final Set<FunctionActivity> running = ConcurrentHashMap.newKeySet();
  private final Deque<FunctionActivity> retired = new ArrayDeque<>();

  public Activity(Clock clock) {
    this.clock = clock;
  }

  /** The record of a function that starts now; {@link #retire} it when it stops. */
  public FunctionActivity function(String appId, String appName, String function) {
    FunctionActivity f = new FunctionActivity(appId, appName, function, clock, CALLS_PER_FUNCTION);
    running.add(f);
    return f;
  }

  /** A function stopped: its record is kept among the last stopped ones. */
  public void retire(FunctionActivity f) {
    if (running.remove(f)) {
      synchronized (retired) {
        retired.addFirst(f);
        while (retired.size() > RETIRED_FUNCTIONS) {
          retired.removeLast();
        }
      }
    }
  }

  /**
   * The most recent calls, newest first: of the app {@code appId} (empty: every app), of its
   * function {@code function} (empty: every function), at most {@code limit}.
   */
  public List<CallSummary> recent(String appId, String function, int limit) {
    List<CallSummary> out = new ArrayList<>();
    for (FunctionActivity f : functions()) {
      if ((appId.isEmpty() || f.appId.equals(appId))
          && (function.isEmpty() || f.name.equals(function))) {
        out.addAll(f.calls(r -> true, limit));
      }
    }
    out.sort(Comparator.comparingLong(CallSummary::getSubmittedAtMs).reversed());
    return out.size() > limit ? List.copyOf(out.subList(0, limit)) : out;
  }

  /** The remembered call with this id, in whichever function. */
  public Optional<CallSummary> find(String callId) {
    for (FunctionActivity f : functions()) {
      Optional<CallSummary> c = f.find(callId);
      if (c.isPresent()) {
        return c;
      }
    }
    return Optional.empty();
  }

  /** The last hour of the running function {@code function} of the app {@code appId}. */
  public Optional<List<MinuteStats>> lastHour(String appId, String function) {
    return functions().stream()
        .filter(f -> f.appId.equals(appId) && f.name.equals(function))
        .findFirst()
        .map(FunctionActivity::lastHour);
  }

  private List<FunctionActivity> functions() {
    List<FunctionActivity> all = new ArrayList<>(running);
    synchronized (retired) {
      all.addAll(retired);
    }
    return all;
  }
}
