package dev.skiff.server.runtime;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The leases of a server's ephemeral apps: an app that {@code app.run()} created lives only while
 * its client renews its lease, so that a client killed during its run (or cut off behind a
 * half-open connection, which the server cannot see) leaves nothing running for long. Each lease
 * ends {@link #length()} after it was granted or last renewed; {@link #stopLapsed} stops the apps
 * whose lease has ended as {@code StopApp} would (containers shut down, schedules stop, web
 * endpoints go away) and logs why.
 *
 * <p>Deadlines are read from a monotonic clock ({@link System#nanoTime} outside tests), so a step
 * of the wall clock neither ends a lease early nor keeps an orphan alive. Deployed apps hold no
 * lease; an embedded control plane grants none (it dies with its client's JVM).
 *
 * <p>Thread-safe: one private lock guards the deadlines; apps are stopped outside it.
 */
public final class AppLeases implements AppDirectory.Listener {
  private static final System.Logger LOG = System.getLogger(AppLeases.class.getName());

  /** The lease of an ephemeral app unless the server is told otherwise. */
  public static final Duration DEFAULT_LENGTH = Duration.ofSeconds(30);

  /** The shortest lease a server may be given. */
  public static final Duration MIN_LENGTH = Duration.ofSeconds(1);

  /** The longest lease a server may be given. */
  public static final Duration MAX_LENGTH = Duration.ofHours(1);

  private final AppDirectory apps;
  private final Duration length;
  private final LongSupplier nanoTime;
  private final Object lock = new Object();
  // Guarded by lock: the monotonic deadline (nanoTime) of each leased app, by app id.
  private final Map<String, Long> deadlines = new HashMap<>();
  private final Set<String> announced = ConcurrentHashMap.newKeySet(); // granted, not yet ended
  private volatile Consumer<String> granted = id -> {};
  private volatile Consumer<String> ended = id -> {};

  /**
   * Leases of {@code length} on the apps of {@code apps}, timed by {@code nanoTime} (a monotonic
   * clock in nanoseconds, as {@link System#nanoTime}).
   *
   * @throws IllegalArgumentException if {@code length} is outside {@link #MIN_LENGTH}..{@link
   *     #MAX_LENGTH}
   */
  public AppLeases(AppDirectory apps, Duration length, LongSupplier nanoTime) {
    if (length.compareTo(MIN_LENGTH) < 0 || length.compareTo(MAX_LENGTH) > 0) {
      throw new IllegalArgumentException(
          "an app lease of " + length + " is outside " + MIN_LENGTH + ".." + MAX_LENGTH);
    }
    this.apps = apps;
    this.length = length;
    this.nanoTime = nanoTime;
  }

  /** How long an app lives without a renewal. */
  public Duration length() {
    return length;
  }

  /** Gives the app {@code appId} (just created, ephemeral) a lease from now. */
  public void grant(String appId) {
    synchronized (lock) {
      deadlines.put(appId, nanoTime.getAsLong() + length.toNanos());
    }
    announced.add(appId);
    granted.accept(appId);
  }

  /**
   * Tells {@code granted} of each app given a lease from now on, and {@code ended} of each such app
   * that stops (a replica records which of them it runs, so that the others route their requests).
   * Call before the first grant.
   */
  public void announce(Consumer<String> granted, Consumer<String> ended) {
    this.granted = granted;
    this.ended = ended;
  }

  /**
   * Extends the lease of {@code appId} to {@link #length()} from now.
   *
   * @return false if the app holds no lease: it was never granted one, or it lapsed or was stopped
   */
  public boolean renew(String appId) {
    synchronized (lock) {
      long now = nanoTime.getAsLong(); // read under the lock: stopLapsed must not see it stale
      Long deadline = deadlines.get(appId);
      if (deadline == null || now - deadline >= 0) {
        // A lapsed lease is not revived, even before stopLapsed has stopped its app.
        return false;
      }
      deadlines.put(appId, now + length.toNanos());
      return true;
    }
  }

  /**
   * Stops every app whose lease has lapsed, logging why. Run by the control plane's housekeeping
   * tick.
   */
  public void stopLapsed() {
    List<String> lapsed = new ArrayList<>();
    long now = nanoTime.getAsLong();
    synchronized (lock) {
      deadlines.forEach(
          (id, deadline) -> {
            if (now - deadline >= 0) {
              lapsed.add(id);
            }
          });
      // Removed here, under the lock: a renewal from now on is refused, rather than told it
      // renewed a lease whose app is about to be stopped.
      lapsed.forEach(deadlines::remove);
    }
    for (String id : lapsed) {
      String reason =
          "its client did not renew its lease for "
              + length.toMillis()
              + " ms (the client was killed or cut off;"
              + " a server's --app-lease sets the length)";
      String name = apps.find(id).map(a -> a.spec().name()).orElse("?");
      if (apps.stop(id, "app stopped: " + reason)) {
        LOG.log(Level.WARNING, "stopped ephemeral app ''{0}'' ({1}): {2}", name, id, reason);
      }
    }
  }

  @Override
  public void started(RunningApp app) {
    // Leases are granted by the client API when it creates an ephemeral app.
  }

  @Override
  public void stopped(RunningApp app) {
    synchronized (lock) {
      deadlines.remove(app.spec().id());
    }
    if (announced.remove(app.spec().id())) {
      ended.accept(app.spec().id());
    }
  }
}
