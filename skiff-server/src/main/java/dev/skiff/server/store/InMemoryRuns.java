package dev.skiff.server.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** {@link RunStore} in memory. Thread-safe. */
final class InMemoryRuns implements RunStore {
  // Guards every field below.
  private final Object lock = new Object();
  // In the order added, so that runs started at the same instant keep that order.
  private final Map<String, StoredRun> runs = new LinkedHashMap<>();
  private boolean closed;

  @Override
  public CompletableFuture<Void> add(StoredRun run) {
    synchronized (lock) {
      if (closed) {
        return CompletableFuture.completedFuture(null);
      }
      if (runs.containsKey(run.id())) {
        return CompletableFuture.failedFuture(
            new IllegalStateException("a run with id '" + run.id() + "' is stored already"));
      }
      runs.put(run.id(), run);
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> finish(String id, Instant at, byte[] result) {
    synchronized (lock) {
      StoredRun r = runs.get(id);
      if (r != null) {
        runs.put(
            id,
            new StoredRun(
                r.id(),
                r.appName(),
                r.function(),
                r.scheduledAt(),
                r.startedAt(),
                Optional.of(at),
                Optional.of(result)));
      }
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public int finishUnfinished(Instant at, byte[] result) {
    int ended = 0;
    synchronized (lock) {
      for (StoredRun r : List.copyOf(runs.values())) {
        if (r.finishedAt().isEmpty()) {
          finish(r.id(), at, result);
          ended++;
        }
      }
    }
    return ended;
  }

  @Override
  public int finishUnfinished(String appName, Instant at, byte[] result) {
    int ended = 0;
    synchronized (lock) {
      for (StoredRun r : List.copyOf(runs.values())) {
        if (r.appName().equals(appName) && r.finishedAt().isEmpty()) {
          finish(r.id(), at, result);
          ended++;
        }
      }
    }
    return ended;
  }

  @Override
  public List<StoredRun> latest(String appName, int limit) {
    List<StoredRun> ofApp = new ArrayList<>();
    synchronized (lock) {
      for (StoredRun r : runs.values()) {
        if (r.appName().equals(appName)) {
          ofApp.add(r);
        }
      }
    }
    ofApp.sort(Comparator.comparing(StoredRun::startedAt)); // stable: ties stay in added order
    return List.copyOf(ofApp.subList(Math.max(0, ofApp.size() - limit), ofApp.size()));
  }

  @Override
  public Optional<Instant> lastTick(String appName, String function) {
    synchronized (lock) {
      return runs.values().stream()
          .filter(r -> r.appName().equals(appName) && r.function().equals(function))
          .map(StoredRun::scheduledAt)
          .max(Comparator.naturalOrder());
    }
  }

  @Override
  public int sweep(Instant before) {
    synchronized (lock) {
      int size = runs.size();
      runs.values().removeIf(r -> r.finishedAt().isPresent() && r.startedAt().isBefore(before));
      return size - runs.size();
    }
  }

  void close() {
    synchronized (lock) {
      closed = true;
      runs.clear();
    }
  }
}
