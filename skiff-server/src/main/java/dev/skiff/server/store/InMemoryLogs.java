package dev.skiff.server.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** {@link LogStore} in memory. Thread-safe. */
final class InMemoryLogs implements LogStore {
  private record Line(String containerId, byte[] bytes) {}

  // Guards every field below.
  private final Object lock = new Object();
  private final Map<String, ArrayDeque<Line>> byApp = new HashMap<>();
  private boolean closed;

  @Override
  public CompletableFuture<Boolean> append(String appName, String containerId, byte[] line) {
    synchronized (lock) {
      if (!closed) {
        byApp
            .computeIfAbsent(appName, n -> new ArrayDeque<>())
            .addLast(new Line(containerId, line));
      }
    }
    return CompletableFuture.completedFuture(true);
  }

  @Override
  public CompletableFuture<Boolean> prune(String appName, int keep) {
    synchronized (lock) {
      ArrayDeque<Line> lines = byApp.get(appName);
      if (lines != null) {
        while (lines.size() > keep) {
          lines.removeFirst();
        }
        if (lines.isEmpty()) {
          byApp.remove(appName);
        }
      }
    }
    return CompletableFuture.completedFuture(true);
  }

  @Override
  public List<byte[]> newest(String appName, int limit) {
    synchronized (lock) {
      ArrayDeque<Line> lines = byApp.get(appName);
      if (lines == null) {
        return List.of();
      }
      List<byte[]> out = new ArrayList<>(Math.min(limit, lines.size()));
      int skip = lines.size() - limit;
      for (Line l : lines) {
        if (skip-- <= 0) {
          out.add(l.bytes());
        }
      }
      return out;
    }
  }

  @Override
  public Optional<String> appOfContainer(String containerId) {
    synchronized (lock) {
      for (Map.Entry<String, ArrayDeque<Line>> e : byApp.entrySet()) {
        for (Line l : e.getValue()) {
          if (l.containerId().equals(containerId)) {
            return Optional.of(e.getKey());
          }
        }
      }
      return Optional.empty();
    }
  }

  void close() {
    synchronized (lock) {
      closed = true;
      byApp.clear();
    }
  }
}
