package dev.skiff.server.logs;

import dev.skiff.proto.LogLine;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

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
 * <p><b>Ordering.</b> Each key (an app, or a deployed app's name) has a channel whose lock guards
 * its kept lines and its subscriptions, and {@link #attach} takes the kept lines and subscribes
 * under it, so a reader that asks for the kept lines and then follows sees every line once, in
 * order. Apps never wait for each other's lines. Nothing under a channel's lock blocks or grows
 * without bound: subscribers buffer a bounded amount and drop the rest ({@link LogSubscriber}), the
 * archive takes lines without waiting and drops them when the store falls behind, and each
 * container's lines are rate-limited before they get here, so a flood of output holds its app's
 * lock briefly and boundedly often. Thread-safe.
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

    /** The newest {@code limit} stored lines of the deployed app, oldest first. */
    List<LogLine> load(String name, int limit);

    /** The deployed app whose stored lines include this container's. */
    Optional<String> nameOfContainer(String containerId);
  }

  private record Subscription(LogSubscriber subscriber, Optional<String> containerId) {
    boolean wants(LogLine line) {
      return containerId.isEmpty() || containerId.get().equals(line.getContainerId());
    }
  }

  /** The kept lines under one key and the subscribers of the apps whose lines go there. */
  private static final class Channel {
    // Guards everything below.
    final Object lock = new Object();
    final ArrayDeque<LogLine> lines = new ArrayDeque<>();
    long chars;
    boolean loaded;
    final Map<String, List<Subscription>> byApp = new HashMap<>();
    int appendedSincePrune;

    /** Keeps {@code line}, dropping the oldest beyond the bounds. Call with the lock. */
    void keep(LogLine line) {
      lines.addLast(line);
      chars += line.getText().length();
      while (lines.size() > KEPT_PER_APP || (chars > KEPT_CHARS_PER_APP && lines.size() > 1)) {
        chars -= lines.removeFirst().getText().length();
      }
    }
  }

  // One channel per key; each guards itself, so that apps never wait for each other.
  private final ConcurrentHashMap<String, Channel> channels = new ConcurrentHashMap<>();
  // Containers of apps that are not deployed, until their app stops.
  private final ConcurrentHashMap<String, String> keyOfContainer = new ConcurrentHashMap<>();
  private volatile Optional<Archive> archive = Optional.empty();

  /** Makes deployed apps' lines persist in {@code archive}. Call before any line is published. */
  public void archive(Archive archive) {
    this.archive = Optional.of(archive);
  }

  public void publish(String appId, LogLine line) {
    Optional<String> name = deployedName(appId);
    String key = name.map(LogFanout::deployedKey).orElse(appId);
    Channel channel = channel(key, name);
    boolean prune = false;
    synchronized (channel.lock) {
      channel.keep(line);
      if (name.isPresent() && ++channel.appendedSincePrune >= PRUNE_EVERY) {
        channel.appendedSincePrune = 0;
        prune = true;
      }
      if (name.isPresent()) {
        // Under the channel's lock, so that the store gets an app's lines in order; it does not
        // wait (the archive drops lines when its store falls behind).
        archive.orElseThrow().append(name.get(), line);
      }
      for (Subscription s : channel.byApp.getOrDefault(appId, List.of())) {
        if (s.wants(line)) {
          s.subscriber().offer(line);
        }
      }
    }
    if (name.isEmpty()) {
      // Kept until the app stops; a deployed app's containers are found through the archive.
      keyOfContainer.put(line.getContainerId(), key);
    } else if (prune) {
      archive.orElseThrow().prune(name.get(), KEPT_PER_APP);
    }
  }

  /** The key under which an app's lines are kept. */
  public String keyOfApp(String appId) {
    return deployedName(appId).map(LogFanout::deployedKey).orElse(appId);
  }

  /** The key under which a container's lines are kept, if any are. */
  public Optional<String> keyOfContainer(String containerId) {
    String key = keyOfContainer.get(containerId);
    if (key != null) {
      return Optional.of(key);
    }
    return archive.flatMap(a -> a.nameOfContainer(containerId)).map(LogFanout::deployedKey);
  }

  /**
   * Offers {@code subscriber} the newest {@code tail} kept lines under {@code key} (of {@code
   * containerId} only, when given, and received at or after {@code sinceMs}), then either
   * subscribes it to the live lines of {@code followApp} (whose key must be {@code key}) or, when
   * that is empty, ends its stream after them.
   */
  public void attach(
      String key,
      int tail,
      long sinceMs,
      Optional<String> containerId,
      Optional<String> followApp,
      LogSubscriber subscriber) {
    Optional<String> name =
        key.startsWith(DEPLOYED) ? Optional.of(key.substring(DEPLOYED.length())) : Optional.empty();
    Channel channel =
        name.isPresent() || followApp.isPresent()
            ? channel(key, name)
            : channels.getOrDefault(key, new Channel());
    synchronized (channel.lock) {
      Subscription subscription = new Subscription(subscriber, containerId);
      if (tail > 0) {
        List<LogLine> wanted = new ArrayList<>();
        for (var it = channel.lines.descendingIterator(); it.hasNext() && wanted.size() < tail; ) {
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
        channel.byApp.computeIfAbsent(followApp.get(), id -> new ArrayList<>()).add(subscription);
      } else {
        subscriber.completeAfterBuffered();
      }
    }
  }

  public void unsubscribe(String appId, LogSubscriber subscriber) {
    for (Channel channel : channels.values()) {
      synchronized (channel.lock) {
        List<Subscription> list = channel.byApp.get(appId);
        if (list != null) {
          list.removeIf(s -> s.subscriber() == subscriber);
          if (list.isEmpty()) {
            channel.byApp.remove(appId);
          }
        }
      }
    }
  }

  /**
   * The app stopped: every subscriber's stream ends after what it was sent, and the lines of an app
   * that is not deployed are dropped.
   */
  public void closeApp(String appId) {
    for (Channel channel : channels.values()) {
      synchronized (channel.lock) {
        List<Subscription> subscribers = channel.byApp.remove(appId);
        if (subscribers != null) {
          subscribers.forEach(s -> s.subscriber().completeAfterBuffered());
        }
      }
    }
    if (deployedName(appId).isEmpty() && channels.remove(appId) != null) {
      keyOfContainer.values().removeIf(appId::equals);
    }
  }

  /** The control plane stops: every stream ends. */
  public void closeAll() {
    for (Channel channel : channels.values()) {
      synchronized (channel.lock) {
        channel.byApp.values().forEach(l -> l.forEach(s -> s.subscriber().completeAfterBuffered()));
        channel.byApp.clear();
      }
    }
  }

  private static final String DEPLOYED = "deployed:";

  private static String deployedKey(String name) {
    return DEPLOYED + name;
  }

  private Optional<String> deployedName(String appId) {
    return archive.flatMap(a -> a.deployedName(appId));
  }

  /**
   * The channel of {@code key}; a deployed app's kept lines are first loaded from the archive,
   * under the channel's lock, so that a reader waits for them rather than sees none.
   */
  private Channel channel(String key, Optional<String> name) {
    Channel channel = channels.computeIfAbsent(key, k -> new Channel());
    if (name.isPresent()) {
      synchronized (channel.lock) {
        if (!channel.loaded) {
          channel.loaded = true;
          archive.orElseThrow().load(name.get(), KEPT_PER_APP).forEach(channel::keep);
        }
      }
    }
    return channel;
  }
}
