package dev.skiff.server.cluster;

import dev.skiff.server.store.LeaseStore;
import dev.skiff.server.store.LeaseStore.Lease;
import dev.skiff.server.store.LeaseStore.Replica;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Which apps this replica owns, among the replicas that share one database: each app is owned by
 * one replica at a time through a lease in the database ({@link LeaseStore}), with an epoch that
 * grows with every new owner.
 *
 * <p>A thread of its own, every {@link #scanEvery()}: records this replica's heartbeat, renews the
 * leases it holds (an app whose lease another replica took is <em>lost</em>: {@link
 * Listener#lost}), and takes leases that nobody holds (their owner stopped renewing them, or gave
 * them up) while this replica holds fewer apps than its share, the apps divided by the live
 * replicas, rounded up ({@link Listener#taken}); one that holds more than its share while another
 * holds less gives one up per scan. A replica that cannot renew (its database unreachable) for
 * nearly a lease's length counts every app as lost before the lease could lapse elsewhere, so that
 * two replicas never both believe they own an app; its writes are refused by the database in any
 * case ({@link dev.skiff.server.store.jdbc.Fence}).
 *
 * <p>Deployed apps are keyed by name and move between replicas; an ephemeral app is keyed {@code #}
 * and its id, held by the replica that created it for routing only: it ends with that replica, as
 * it would with a single server.
 *
 * <p>Listener calls come in order on one thread of their own, never on the scanning thread, so that
 * a slow takeover does not delay renewals. Thread-safe.
 */
public final class Ownership implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(Ownership.class.getName());

  /** A lease's length unless the server is told otherwise. */
  public static final Duration DEFAULT_LEASE = Duration.ofSeconds(10);

  /** The shortest lease a replica may be given. */
  public static final Duration MIN_LEASE = Duration.ofSeconds(2);

  /** The longest lease a replica may be given. */
  public static final Duration MAX_LEASE = Duration.ofMinutes(5);

  /** What the replica does when it takes or loses an app. */
  public interface Listener {
    /** This replica now owns the deployed app {@code app}: start it. */
    void taken(String app, String reason);

    /** This replica no longer owns {@code app}: stop it here, writing nothing for it. */
    void lost(String app, String why);
  }

  /** Where an app's requests go. */
  public sealed interface Owner {
    /** This replica owns it. */
    record Here() implements Owner {}

    /** Another live replica owns it. */
    record There(Replica replica) implements Owner {}

    /** Nobody does right now (its owner died and no replica took it yet); ask again soon. */
    record Moving(String why) implements Owner {}

    /** It has no lease: no replica runs it. */
    record Nobody() implements Owner {}
  }

  private record Snapshot(
      Map<String, Lease> byApp, Map<String, Lease> byAppId, Map<String, Replica> replicas) {}

  private final LeaseStore store;
  private final String id;
  private volatile Replica self;
  private final Duration length;
  private final Supplier<List<String>> deployedNames;
  private final ConcurrentHashMap<String, Long> held = new ConcurrentHashMap<>();
  private final ScheduledExecutorService scanner;
  private final ExecutorService events;
  private volatile Listener listener =
      new Listener() {
        @Override
        public void taken(String app, String reason) {}

        @Override
        public void lost(String app, String why) {}
      };
  private volatile Snapshot snapshot = new Snapshot(Map.of(), Map.of(), Map.of());
  // The monotonic time at which the last successful renewal began; written by the scanner only.
  private volatile long renewedAt = System.nanoTime();
  private volatile boolean failing;
  private int scans; // scanner thread only

  /**
   * Ownership for the replica {@code self} on {@code store}, with leases of {@code length}; {@code
   * deployedNames} gives the names of the stored deployments (those without a lease yet are taken
   * like lapsed ones). Starts scanning at {@link #start}.
   *
   * @throws IllegalArgumentException if {@code length} is outside {@link #MIN_LEASE}..{@link
   *     #MAX_LEASE}
   */
  public Ownership(
      LeaseStore store, String id, Duration length, Supplier<List<String>> deployedNames) {
    if (length.compareTo(MIN_LEASE) < 0 || length.compareTo(MAX_LEASE) > 0) {
      throw new IllegalArgumentException(
          "--replica-lease " + length + " is outside " + MIN_LEASE + ".." + MAX_LEASE);
    }
    this.store = store;
    this.id = id;
    this.self = new Replica(id, "", "", Optional.empty(), 0, 0);
    this.length = length;
    this.deployedNames = deployedNames;
    this.scanner =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("skiff-ownership").daemon().factory());
    this.events =
        Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("skiff-takeover").daemon().factory());
  }

  /** This replica's id. */
  public String id() {
    return id;
  }

  /** The length of the leases. */
  public Duration leaseLength() {
    return length;
  }

  /** How often leases are renewed and free ones taken: a fifth of a lease, at most a second. */
  public Duration scanEvery() {
    Duration fifth = length.dividedBy(5);
    return fifth.compareTo(Duration.ofSeconds(1)) < 0 ? fifth : Duration.ofSeconds(1);
  }

  /**
   * Records the first heartbeat of {@code self} (this replica, with its addresses) and starts
   * scanning; events go to {@code listener}.
   */
  public void start(Replica self, Listener listener) {
    this.self = self;
    this.listener = listener;
    store.heartbeat(self);
    // The apps this replica owned before it restarted are its own again at once, under new epochs
    // (a write of its previous run still queued somewhere is refused).
    store
        .adopt(id, length)
        .forEach(
            (app, epoch) -> {
              held.put(app, epoch);
              LOG.log(
                  Level.INFO,
                  "replica {0} takes back app {1} (epoch {2}): it owned it before it restarted",
                  id,
                  app,
                  epoch);
              events.execute(() -> listener.taken(app, "this replica restarted"));
            });
    scanner.scheduleWithFixedDelay(this::scan, 0, scanEvery().toMillis(), TimeUnit.MILLISECONDS);
  }

  // ----------------------------------------------------------------------------- queries

  /** The epoch under which this replica holds {@code app}, if it does. */
  public OptionalLong epochOf(String app) {
    Long e = held.get(app);
    return e == null ? OptionalLong.empty() : OptionalLong.of(e);
  }

  /** Whether this replica holds {@code app}. */
  public boolean owns(String app) {
    return held.containsKey(app);
  }

  /** Where requests for the app {@code app} (a name, or {@code #} and an ephemeral app's id) go. */
  public Owner ownerOf(String app) {
    if (held.containsKey(app)) {
      return new Owner.Here();
    }
    Snapshot s = snapshot;
    Lease lease = s.byApp().get(app);
    return lease == null ? new Owner.Nobody() : ownerBy(lease, s);
  }

  /** Where requests for the app with id {@code appId} go, if another replica runs it. */
  public Optional<Owner> ownerOfAppId(String appId) {
    Snapshot s = snapshot;
    Lease lease = s.byAppId().get(appId);
    if (lease == null) {
      return Optional.empty();
    }
    return Optional.of(held.containsKey(lease.app()) ? new Owner.Here() : ownerBy(lease, s));
  }

  private Owner ownerBy(Lease lease, Snapshot s) {
    Replica r = lease.owner().map(s.replicas()::get).orElse(null);
    if (lease.free()
        || r == null
        || !live(r)
        || r.id().equals(id)
        || r.address().equals(self.address())) { // a previous run of this process, on its port
      return new Owner.Moving(
          "app '"
              + lease.app()
              + "' is moving to another replica (its owner "
              + lease.owner().orElse("?")
              + " stopped renewing its lease); ask again in a few seconds");
    }
    return new Owner.There(r);
  }

  private boolean live(Replica r) {
    return r.heartbeatAgeMs() < length.toMillis();
  }

  /**
   * Reads the leases and replicas from the database now (blocking) rather than waiting for the next
   * scan: for a request whose app the last scan did not know (deployed or taken over since).
   */
  public void refresh() {
    snapshot = snapshotOf(store.replicas(), store.leases());
  }

  /** Every other live replica, as of the last scan. */
  public List<Replica> others() {
    return snapshot.replicas().values().stream()
        .filter(r -> !r.id().equals(id) && live(r))
        .toList();
  }

  /** The replicas, read from the database now. */
  public List<Replica> replicas() {
    return store.replicas();
  }

  /** The leases, read from the database now. */
  public List<Lease> leases() {
    return store.leases();
  }

  // ----------------------------------------------------------------------------- changes

  /**
   * Takes the lease of {@code app} now if nobody holds it (a deploy of a new name, an ephemeral
   * app), without telling the listener: the caller starts the app itself.
   *
   * @return whether this replica holds it now
   */
  public boolean claimNow(String app, String reason) {
    return held.containsKey(app) || claim(app, reason, "owns");
  }

  /** Takes the lease of {@code app} if nobody holds it, and logs it ({@code verb} the app). */
  private boolean claim(String app, String reason, String verb) {
    OptionalLong epoch = store.claim(app, id, length, reason);
    if (epoch.isEmpty()) {
      return false;
    }
    held.put(app, epoch.getAsLong());
    LOG.log(
        Level.INFO,
        "replica {0} {1} app {2} (epoch {3}): {4}",
        id,
        verb,
        app,
        epoch.getAsLong(),
        reason);
    return true;
  }

  /** Records that the app {@code appId} runs under the lease of {@code app}, for routing by id. */
  public void running(String app, String appId) {
    Long epoch = held.get(app);
    if (epoch != null) {
      try {
        store.running(app, epoch, appId);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "could not record the id of app " + app, e);
      }
    }
  }

  /** Forgets the lease of {@code app}, which is gone (undeployed, or an ephemeral app stopped). */
  public void forget(String app) {
    Long epoch = held.remove(app);
    if (epoch != null) {
      try {
        store.delete(app, epoch);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "could not forget the lease of app " + app, e);
      }
    }
  }

  // ----------------------------------------------------------------------------- the scan

  private void scan() {
    long began = System.nanoTime();
    try {
      store.heartbeat(self);
      Map<Long, String> byEpoch = new HashMap<>();
      held.forEach((app, epoch) -> byEpoch.put(epoch, app));
      Set<Long> kept = store.renew(id, byEpoch.keySet(), length);
      renewedAt = began;
      if (failing) {
        failing = false;
        LOG.log(Level.INFO, "replica {0} reaches its database again", id);
      }
      byEpoch.forEach(
          (epoch, app) -> {
            if (!kept.contains(epoch)) {
              lose(app, "another replica holds its lease now");
            }
          });
      List<Replica> replicas = store.replicas();
      List<Lease> leases = store.leases();
      snapshot = snapshotOf(replicas, leases);
      takeAndBalance(replicas, leases);
      if (++scans % 30 == 0) {
        store.deleteLapsedEphemeral();
      }
    } catch (RuntimeException e) {
      if (!failing) {
        failing = true;
        LOG.log(Level.WARNING, "replica " + id + " could not renew its leases", e);
      }
      long since = System.nanoTime() - renewedAt;
      // The database extends a lease from when it runs the renewal, after it began here: a
      // replica that gives its apps up a scan before its last renewal began + length never holds
      // one past its lease.
      if (since >= length.minus(scanEvery()).toNanos() && !held.isEmpty()) {
        for (String app : List.copyOf(held.keySet())) {
          lose(
              app,
              "this replica could not renew its lease for "
                  + Duration.ofNanos(since).toMillis()
                  + " ms (the database is unreachable: "
                  + e.getMessage()
                  + ")");
        }
      }
    } catch (Error e) {
      LOG.log(Level.ERROR, "the ownership scan failed", e);
      throw e;
    }
  }

  private Snapshot snapshotOf(List<Replica> replicas, List<Lease> leases) {
    Map<String, Lease> byApp = new HashMap<>();
    Map<String, Lease> byAppId = new HashMap<>();
    for (Lease l : leases) {
      byApp.put(l.app(), l);
      l.appId().ifPresent(id -> byAppId.put(id, l));
    }
    Map<String, Replica> byId = new HashMap<>();
    replicas.forEach(r -> byId.put(r.id(), r));
    return new Snapshot(Map.copyOf(byApp), Map.copyOf(byAppId), Map.copyOf(byId));
  }

  /**
   * Takes free leases while this replica holds less than its share, and gives one up while it holds
   * more than its share and another live replica holds less.
   */
  private void takeAndBalance(List<Replica> replicas, List<Lease> leases) {
    List<Replica> live = replicas.stream().filter(this::live).toList();
    int liveCount = Math.max(1, live.size() + (live.stream().anyMatch(this::isSelf) ? 0 : 1));
    Set<String> leased = new HashSet<>();
    List<Lease> free = new ArrayList<>();
    Map<String, Integer> counts = new HashMap<>();
    for (Lease l : leases) {
      if (l.app().startsWith("#")) {
        continue;
      }
      leased.add(l.app());
      if (l.free()) {
        free.add(l);
      } else {
        l.owner().ifPresent(o -> counts.merge(o, 1, Integer::sum));
      }
    }
    List<String> unleased = new ArrayList<>();
    if (scans % 10 == 0) {
      for (String name : deployedNames.get()) {
        if (!leased.contains(name)) {
          unleased.add(name);
        }
      }
    }
    int total = leased.size() + unleased.size();
    int share = (total + liveCount - 1) / liveCount;
    int mine = (int) held.keySet().stream().filter(a -> !a.startsWith("#")).count();
    free.sort(Comparator.comparing(Lease::app));
    for (Lease l : free) {
      if (mine >= share) {
        break;
      }
      String reason =
          l.released()
              ? "replica " + l.owner().orElse("?") + " gave it up"
              : "replica "
                  + l.owner().orElse("?")
                  + " stopped renewing its lease ("
                  + (-l.expiresInMs())
                  + " ms ago)";
      if (take(l.app(), reason)) {
        mine++;
      }
    }
    for (String name : unleased) {
      if (mine >= share) {
        break;
      }
      if (take(name, "it was deployed without an owner")) {
        mine++;
      }
    }
    if (mine > share
        && live.stream().anyMatch(r -> !isSelf(r) && counts.getOrDefault(r.id(), 0) < share)) {
      Optional<String> give =
          held.keySet().stream().filter(a -> !a.startsWith("#")).max(Comparator.naturalOrder());
      give.ifPresent(this::giveUp);
    }
  }

  private boolean isSelf(Replica r) {
    return r.id().equals(id);
  }

  private boolean take(String app, String reason) {
    if (!claim(app, reason, "takes over")) {
      return false;
    }
    events.execute(() -> listener.taken(app, reason));
    return true;
  }

  private void giveUp(String app) {
    Long epoch = held.get(app);
    if (epoch == null) {
      return;
    }
    lose(app, "this replica holds more apps than its share, and gives one to a less busy one");
    try {
      store.release(app, epoch);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "could not give up the lease of app " + app + "; it lapses", e);
    }
  }

  private void lose(String app, String why) {
    if (held.remove(app) == null) {
      return;
    }
    LOG.log(Level.WARNING, "replica {0} no longer owns app {1}: {2}", id, app, why);
    if (!app.startsWith("#")) {
      events.execute(() -> listener.lost(app, why));
    }
  }

  /**
   * Stops scanning and gives up every lease (the other replicas take the apps at once), then
   * forgets this replica. The apps must be stopped after this: their writes are refused from now
   * on.
   */
  @Override
  public void close() {
    scanner.shutdownNow();
    try {
      scanner.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    held.clear();
    try {
      store.releaseAll(id);
      store.removeReplica(id);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "could not give up the leases of replica " + id, e);
    }
    events.shutdown();
    try {
      events.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
