package dev.skiff.server;

import dev.skiff.proto.LogLine;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Hands each line of container output to every current subscriber of its app. A line that no one
 * subscribes to is dropped (the backend keeps each container's stderr tail for crash reports).
 * Thread-safe.
 */
final class LogFanout {
  private final ConcurrentHashMap<String, CopyOnWriteArrayList<LogSubscriber>> byApp =
      new ConcurrentHashMap<>();

  void publish(String appId, LogLine line) {
    List<LogSubscriber> subscribers = byApp.get(appId);
    if (subscribers != null) {
      subscribers.forEach(s -> s.offer(line));
    }
  }

  void subscribe(String appId, LogSubscriber subscriber) {
    byApp.computeIfAbsent(appId, id -> new CopyOnWriteArrayList<>()).add(subscriber);
  }

  void unsubscribe(String appId, LogSubscriber subscriber) {
    byApp.computeIfPresent(
        appId,
        (id, list) -> {
          list.remove(subscriber);
          return list.isEmpty() ? null : list;
        });
  }

  /** The app stopped: every subscriber's stream ends. */
  void closeApp(String appId) {
    List<LogSubscriber> subscribers = byApp.remove(appId);
    if (subscribers != null) {
      subscribers.forEach(LogSubscriber::complete);
    }
  }

  /** The control plane stops: every stream ends. */
  void closeAll() {
    List.copyOf(byApp.keySet()).forEach(this::closeApp);
  }
}
