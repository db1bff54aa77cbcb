package dev.skiff.server.logs;

import dev.skiff.proto.LogLine;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Keeps the newest lines of container output per app and hands each new line to every current
 * subscriber of its app.
 *
 * <p><b>What is kept.</b> The newest {@value #KEPT_PER_APP} lines per app, in memory, and no more
 * than {@value #KEPT_CHARS_PER_APP} characters of them (a line is at most 16 KiB: backends split
 * longer ones). Lines of an app that is not deployed are kept under its app id and dropped when it
 * stops. Lines of a deployed app are kept under its name (every version shares them) and also
 * written to the {@link Archive} (the server's store), from which the newest ones are loaded the
 * first time the name is touched after a restart; the archive prunes to the same bound.
 *
 * <p><b>Ordering.</b> One lock guards the kept lines and the subscriptions, and {@link #attach}
 * takes the kept lines and subscribes under it, so a reader that asks for the kept lines and then
 * follows sees every line once, in order. Nothing under the lock blocks or grows without bound:
 * subscribers buffer a bounded amount and drop the rest ({@link LogSubscriber}), the archive takes
 * lines without waiting and drops them when the store falls behind, and each container's lines are
 * rate-limited before they get here, so a flood of output holds the lock briefly and boundedly
 * often. Thread-safe.
 *
 * <p><b>Ownership.</b> The fanout is the single authority for the recent lines and live
 * subscriptions of this control plane's containers; the archive only keeps a deployed app's lines
 * for the next start. Another control plane sees neither its rings nor its subscribers.
 */
public final class LogFanout {
  /** How many lines are kept per app, in memory and in the store. */
  static final int KEPT_PER_APP = 10_000;

  /** How many characters of lines are kept per app in memory, at most: 16 Mi. */
  static final long KEPT_CHARS_PER_APP = 16L << 20;

  /** How many appended lines of a deployed app between two prunes of the store. */
  private static final int PRUNE_EVERY = 1_000;

  /** Where deployed apps' lines persist. */
  interface Archive {
    /** The name of the deployed app this app id is a version of, if it is one. */
    Optional<String> deployedName(String appId);

    void append(String name, LogLine line);

    void prune(String name, int keep);

    /** The newest {@code limit} stored lines of the deployed app, oldest first. Does not block. */
    List<LogLine> load(String name, int limit);

    /** The deployed app whose stored lines include this container's. */
    Optional<String> nameOfContainer(String containerId);
  }

  private record Subscription(LogSubscriber subscriber, Optional<String> containerId) {
    boolean wants(LogLine line) {
      return containerId.isEmpty() || containerId.get().equals(line.getContainerId());
    }
  }

  // Guards everything below.
  private final Object lock = new Object();
  private final Map<String, Ring> kept = new HashMap<>();
  // Containers of apps that are not deployed, until their app stops.
  private final Map<String, String> keyOfContainer = new HashMap<>();
  private final Map<String, List<Subscription>> byApp = new HashMap<>();
  private final Map<String, Integer> appendedSincePrune = new HashMap<>();
  private Optional<Archive> archive = Optional.empty();

  /** Makes deployed apps' lines persist in {@code archive}. Call before any line is published. */
  public void archive(Archive archive) {
    synchronized (lock) {
      this.archive = Optional.of(archive);
    }
  }

  public void publish(String appId, LogLine line) {
    synchronized (lock) {
      Optional<String> name = deployedName(appId);
      String key = name.map(LogFanout::deployedKey).orElse(appId);
      ring(key, name).add(line);
      if (name.isEmpty()) {
        // Kept until the app stops; a deployed app's containers are found through the archive.
        keyOfContainer.put(line.getContainerId(), key);
      } else {
        Archive a = archive.orElseThrow();
        a.append(name.get(), line);
        if (appendedSincePrune.merge(name.get(), 1, Integer::sum) >= PRUNE_EVERY) {
          appendedSincePrune.remove(name.get());
          a.prune(name.get(), KEPT_PER_APP);
        }
      }
      for (Subscription s : byApp.getOrDefault(appId, List.of())) {
        if (s.wants(line)) {
          s.subscriber().offer(line);
        }
      }
    }
  }

  /** The key under which an app's lines are kept. */
  public String keyOfApp(String appId) {
    synchronized (lock) {
      return deployedName(appId).map(LogFanout::deployedKey).orElse(appId);
    }
  }

  /** The key under which a container's lines are kept, if any are. */
  public Optional<String> keyOfContainer(String containerId) {
    synchronized (lock) {
      String key = keyOfContainer.get(containerId);
      if (key != null) {
        return Optional.of(key);
      }
      return archive.flatMap(a -> a.nameOfContainer(containerId)).map(LogFanout::deployedKey);
    }
  }

  /**
   * Offers {@code subscriber} the newest {@code tail} kept lines under {@code key} (of {@code
   * containerId} only, when given, and received at or after {@code sinceMs}), then either
   * subscribes it to the live lines of {@code followApp} or, when that is empty, ends its stream
   * after them.
   */
  public void attach(
      String key,
      int tail,
      long sinceMs,
      Optional<String> containerId,
      Optional<String> followApp,
      LogSubscriber subscriber) {
    synchronized (lock) {
      Subscription subscription = new Subscription(subscriber, containerId);
      if (tail > 0) {
        Optional<String> name =
            key.startsWith(DEPLOYED)
                ? Optional.of(key.substring(DEPLOYED.length()))
                : Optional.empty();
        ArrayDeque<LogLine> lines =
            name.isPresent() ? ring(key, name).lines : kept.getOrDefault(key, new Ring()).lines;
        List<LogLine> wanted = new ArrayList<>();
        for (var it = lines.descendingIterator(); it.hasNext() && wanted.size() < tail; ) {
          LogLine line = it.next();
          if (subscription.wants(line) && line.getTimestampMs() >= sinceMs) {
            wanted.add(line);
          }
        }
        for (int i = wanted.size() - 1; i >= 0; i--) {
          subscriber.offer(wanted.get(i));
        }
      }
      if (followApp.isPresent()) {
        byApp.computeIfAbsent(followApp.get(), id -> new ArrayList<>()).add(subscription);
      } else {
        subscriber.completeAfterBuffered();
      }
    }
  }

  public void unsubscribe(String appId, LogSubscriber subscriber) {
    synchronized (lock) {
      List<Subscription> list = byApp.get(appId);
      if (list != null) {
        list.removeIf(s -> s.subscriber() == subscriber);
        if (list.isEmpty()) {
          byApp.remove(appId);
        }
      }
    }
  }

  /**
   * The app stopped: every subscriber's stream ends after what it was sent, and the lines of an app
   * that is not deployed are dropped.
   */
  public void closeApp(String appId) {
    synchronized (lock) {
      List<Subscription> subscribers = byApp.remove(appId);
      if (subscribers != null) {
        subscribers.forEach(s -> s.subscriber().completeAfterBuffered());
      }
      if (deployedName(appId).isEmpty() && kept.remove(appId) != null) {
        keyOfContainer.values().removeIf(appId::equals);
      }
    }
  }

  /** The control plane stops: every stream ends. */
  public void closeAll() {
    synchronized (lock) {
      List.copyOf(byApp.keySet()).forEach(this::closeApp);
    }
  }

  private static final String DEPLOYED = "deployed:";

  private static String deployedKey(String name) {
    return DEPLOYED + name;
  }

  private Optional<String> deployedName(String appId) {
    return archive.flatMap(a -> a.deployedName(appId));
  }

  /** The kept lines under {@code key}; a deployed app's are first loaded from the archive. */
  private Ring ring(String key, Optional<String> name) {
    Ring ring = kept.get(key);
    if (ring == null) {
      ring = new Ring();
      if (name.isPresent()) {
        archive.orElseThrow().load(name.get(), KEPT_PER_APP).forEach(ring::add);
      }
      kept.put(key, ring);
    }
    return ring;
  }

  /** The kept lines under one key, bounded in number and characters. Guarded by the lock. */
  private static final class Ring {
    final ArrayDeque<LogLine> lines = new ArrayDeque<>();
    long chars;

    void add(LogLine line) {
      lines.addLast(line);
      chars += line.getText().length();
      while (lines.size() > KEPT_PER_APP || (chars > KEPT_CHARS_PER_APP && lines.size() > 1)) {
        chars -= lines.removeFirst().getText().length();
      }
    }
  }
}
