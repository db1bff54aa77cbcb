package dev.skiff.server.deploy;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.skiff.proto.AppHistory;
import dev.skiff.proto.AppState;
import dev.skiff.proto.AppSummary;
import dev.skiff.proto.AutoscalerSettings;
import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.DeployAppRequest;
import dev.skiff.proto.DeployAppResponse;
import dev.skiff.proto.ErrorKind;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.FunctionStatus;
import dev.skiff.proto.Result;
import dev.skiff.proto.ScheduledRun;
import dev.skiff.server.calls.CallRegistry;
import dev.skiff.server.cluster.Ownership;
import dev.skiff.server.common.Statuses;
import dev.skiff.server.files.VolumeStore;
import dev.skiff.server.image.ImageStore;
import dev.skiff.server.runtime.AppClasspath;
import dev.skiff.server.runtime.AppDirectory;
import dev.skiff.server.runtime.Failures;
import dev.skiff.server.runtime.FunctionInputs;
import dev.skiff.server.runtime.RunningApp;
import dev.skiff.server.schedule.ScheduleRunner;
import dev.skiff.server.secrets.SecretEnvironments;
import dev.skiff.server.secrets.SecretStore;
import dev.skiff.server.store.LeaseStore;
import dev.skiff.server.store.Store;
import dev.skiff.server.store.StoredApp;
import dev.skiff.server.store.StoredCall;
import dev.skiff.server.store.StoredRun;
import dev.skiff.server.web.WebGateway;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * The deployed apps of the long-running server: apps registered under their name that run until
 * undeployed and come back after a restart.
 *
 * <p><b>Classpath.</b> A deployment names its jars by sha-256; they must be in the {@link JarStore}
 * ({@link #jars()}) before it is deployed, and its containers run from the stored files.
 *
 * <p><b>Redeploy.</b> A new deployment of a name starts a new app (a new version); the old one is
 * <em>retired</em>: its schedules and web endpoints move to the new one at once, calls by name go
 * to the new one, and the old one keeps running only the inputs it already had. It is stopped once
 * it has none ({@link #tick()}).
 *
 * <p><b>Autoscaler overrides.</b> {@code UpdateAutoscaler} on a function of a deployed app's
 * current version is stored ({@link #updateAutoscaler}) and applied again whenever that version
 * starts (restart, takeover by another replica); a new version starts from its declared settings
 * and the overrides of the old one are forgotten, as in Modal.
 *
 * <p><b>Restart.</b> {@link #restore()} starts every stored deployment again, with its schedules
 * counting from its deployment time and resuming after the last tick that ran (a tick missed while
 * the server was down runs once, at once), and re-queues the unfinished spawned calls of deployed
 * apps under their old ids ({@link Restorer}).
 *
 * <p>Thread-safe: {@link #lock} serializes changes to the deployments by name (deploys run one at a
 * time); lookups by name take no lock, so that they never wait for a deploy's store write.
 *
 * <p><b>Ownership.</b> Deployments are the single authority for which version of each app name is
 * deployed; the store keeps them. Several control planes sharing a store would need a lease per app
 * name (and the version as a compare-and-set) before deploying or restoring it.
 */
public final class Deployments implements ScheduleRunner.Persistence {
  private static final System.Logger LOG = System.getLogger(Deployments.class.getName());
  private static final int HISTORY_LIMIT = ScheduleRunner.HISTORY_LIMIT;

  /** A deployed version of an app. */
  private record Deployed(
      RunningApp app, long version, Instant deployedAt, DeployAppRequest request) {
    String id() {
      return app.spec().id();
    }
  }

  private final AppDirectory apps;
  private volatile BiConsumer<ByteString, String> onRequeue = (args, appId) -> {};
  private final ImageStore images;
  private final VolumeStore volumes;
  private final Store store;
  private final CallRegistry calls;
  private final WebGateway web;
  private final Clock clock;
  private final JarStore jars;

  // Serializes changes to current: deploys, undeploys and the restore at start hold it throughout
  // (across the store's write). Lookups read current without it, so that a call naming a deployed
  // app never waits for a deploy's fsync (they see a new version from when it starts).
  final Object lock = new Object();
  private final ConcurrentHashMap<String, Deployed> current = new ConcurrentHashMap<>();
  // Ids of deployed apps (current and retired) and their names; read without the lock.
  private final ConcurrentHashMap<String, String> names = new ConcurrentHashMap<>();
  // Replaced versions still finishing their inputs, by app id.
  private final ConcurrentHashMap<String, Deployed> retired = new ConcurrentHashMap<>();
  // The deployment time of names being deployed right now, for resume() during AppDirectory.create.
  private final ConcurrentHashMap<String, Instant> deploying = new ConcurrentHashMap<>();
  // The app id that resume() saw for a name being deployed right now, by name: a schedule can fire
  // (a missed tick at once) before AppDirectory.create returns, so resume() enters the id in names
  // already, and start() takes it out again if the create fails.
  private final ConcurrentHashMap<String, String> deployingIds = new ConcurrentHashMap<>();

  private final SecretStore secrets; // named secrets, resolved when a deployment (re)starts

  // Set on a replica (several servers on one database): which apps this one owns.
  private volatile Optional<Ownership> ownership = Optional.empty();
  // Names this replica took over and is starting: calls for them are asked to come again.
  private final Set<String> takingOver = ConcurrentHashMap.newKeySet();

  /**
   * A stored deployment that could not start after a restart.
   *
   * @param version its stored version
   * @param deployedAt when it was deployed
   * @param problem why it could not start
   */
  record NotRestored(long version, Instant deployedAt, String problem) {}

  // Stored deployments that could not start at restore, by name; their pending durable calls wait
  // in the store until a restart restores them or a deploy of the name adopts them.
  private final ConcurrentHashMap<String, NotRestored> notRestored = new ConcurrentHashMap<>();

  // Serializes stored autoscaler overrides with applying them (see updateAutoscaler).
  private final Object autoscalerLock = new Object();

  public Deployments(
      AppDirectory apps,
      Store store,
      CallRegistry calls,
      WebGateway web,
      ImageStore images,
      VolumeStore volumes,
      Clock clock,
      Path dataDir) {
    this.images = images;
    this.volumes = volumes;
    this.apps = apps;
    this.store = store;
    this.calls = calls;
    this.web = web;
    this.clock = clock;
    this.jars = new JarStore(JarStore.directory(dataDir), store.sharedBytes());
    this.secrets = SecretStore.open(dataDir);
    calls.deployedApps(names::containsKey);
  }

  /**
   * Sets what is told of each call re-queued by {@link #restore()} or adopted by a deploy of an app
   * that could not be restored: its arguments and the id of the app it now runs on (the blob store
   * hands the blob its arguments refer to to that app, whose containers may then read it). Call
   * before {@link #restore()}.
   */
  public void onRequeue(BiConsumer<ByteString, String> hook) {
    this.onRequeue = hook;
  }

  /**
   * Makes these deployments a replica's: a deploy takes the app's lease first, an app runs only
   * while this replica owns it, and apps are started and stopped as their leases come and go
   * ({@link #takeOver}, {@link #lost}). Call before the ownership starts, instead of {@link
   * #restore()}.
   */
  public void replicated(Ownership ownership) {
    this.ownership = Optional.of(ownership);
  }

  /**
   * Starts a stored deployment whose lease this replica took (its owner died or gave it up): ends
   * the runs the owner left unfinished, starts the app, and re-queues its unfinished calls.
   */
  public void takeOver(String name, String reason) {
    takingOver.add(name);
    try {
      synchronized (lock) {
        if (current.containsKey(name) || ownership.map(o -> !o.owns(name)).orElse(false)) {
          return; // deployed here meanwhile, or lost again already
        }
        Optional<StoredApp> stored = stored(name);
        if (stored.isEmpty()) {
          ownership.ifPresent(o -> o.forget(name)); // undeployed meanwhile
          return;
        }
        new Restorer(this, store, calls, jars, clock).takeOver(stored.get());
        Deployed d = current.get(name);
        if (d != null) {
          ownership.ifPresent(o -> o.running(name, d.id()));
          LOG.log(
              Level.INFO,
              "app {0} (version {1}) runs on this replica now: {2}",
              name,
              d.version(),
              reason);
        }
      }
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "taking over app '" + name + "' failed", e);
    } finally {
      takingOver.remove(name);
    }
  }

  /**
   * Stops a deployed app here that this replica no longer owns, writing nothing for it: its calls
   * and schedules go on at its new owner.
   */
  public void lost(String name, String why) {
    synchronized (lock) {
      notRestored.remove(name);
      Deployed d = current.remove(name);
      String reason = "app '" + name + "' moved to another replica (" + why + ")";
      if (d != null) {
        names.remove(d.id());
        apps.stop(d.id(), reason);
      }
      stopRetired(name, reason);
    }
  }

  /** Stops the replaced versions of {@code name} that still drain. The caller holds the lock. */
  private void stopRetired(String name, String reason) {
    for (Deployed r : List.copyOf(retired.values())) {
      if (r.app().spec().name().equals(name)) {
        retired.remove(r.id());
        names.remove(r.id());
        apps.stop(r.id(), reason);
      }
    }
  }

  private Optional<StoredApp> stored(String name) {
    return store.deployments().all().stream().filter(a -> a.name().equals(name)).findFirst();
  }

  void requeued(ByteString args, String appId) {
    onRequeue.accept(args, appId);
  }

  /** Where the classpath jars of deployments are kept. */
  public JarStore jars() {
    return jars;
  }

  // ------------------------------------------------------------------------------ deploy

  /**
   * Deploys (or redeploys) an app. Blocks until the deployment is stored.
   *
   * @throws io.grpc.StatusRuntimeException INVALID_ARGUMENT naming what is wrong; nothing changes
   */
  public DeployAppResponse deploy(DeployAppRequest request) {
    CreateAppRequest app = request.getApp();
    String name = app.getAppName();
    if (!app.getSecretEnvMap().isEmpty()) {
      throw Statuses.invalid(
          "app '"
              + name
              + "': secrets are not supported for deployed apps yet (functions "
              + app.getSecretEnvMap().keySet()
              + ")");
    }
    // Deployments are stored, so only references to named secrets may be in them, never values.
    app.getSecretLayersMap()
        .forEach(
            (function, layers) -> {
              if (layers.getLayersList().stream().anyMatch(l -> !l.hasNamed())) {
                throw Statuses.invalid(
                    "app '"
                        + name
                        + "': function '"
                        + function
                        + "' of a deployed app may only"
                        + " use named secrets (Secret.fromName; see skiff secret create), not"
                        + " values given inline");
              }
            });
    if (request.getJarsCount() == 0 && app.getFunctionsCount() > 0) {
      throw Statuses.invalid("app '" + name + "': the deployment names no classpath jar");
    }
    List<String> missing = jars.missing(request.getJarsList());
    if (!missing.isEmpty()) {
      throw Statuses.failedPrecondition(
          "app '" + name + "': these classpath jars were not uploaded: " + missing);
    }
    CreateAppRequest create = jars.withStoredClasspath(request);
    AppDefinitions.check(apps, create);
    volumes.prepare(name, create.getFunctionsList());
    if (ownership.isPresent()) {
      own(name);
    }
    synchronized (lock) {
      Deployed old = current.get(name);
      NotRestored failed = notRestored.get(name);
      long version =
          Math.max(old != null ? old.version() : 0, failed != null ? failed.version() : 0) + 1;
      Instant now = clock.instant();
      Deployed created = start(request, create, version, now, old);
      try {
        store.deployments().save(new StoredApp(name, version, now, request.toByteArray())).join();
      } catch (RuntimeException e) {
        current.remove(name);
        names.remove(created.id());
        apps.stop(created.id(), "its deployment could not be stored");
        if (old != null) {
          current.put(name, old);
          apps.unretire(old.id());
        }
        throw Statuses.failedPrecondition(
            "app '" + name + "' could not be stored: " + e.getMessage());
      }
      if (old != null) {
        retired.put(old.id(), old);
        LOG.log(Level.INFO, "app {0}: version {1} replaces {2}", name, version, old.version());
      }
      if (failed != null) {
        notRestored.remove(name);
        adoptWaitingCalls(name, created.app());
      }
      ownership.ifPresent(o -> o.running(name, created.id()));
      return response(created);
    }
  }

  /**
   * Makes this replica the owner of {@code name} before it deploys it: takes its lease if nobody
   * holds it (a new name, or one whose owner died), and starts the stored deployment of the name
   * first if there is one (its pending calls and schedules), so that the deploy replaces it as a
   * redeploy would.
   *
   * @throws io.grpc.StatusRuntimeException UNAVAILABLE if another replica owns it
   */
  private void own(String name) {
    Ownership o = ownership.orElseThrow();
    boolean had = o.owns(name);
    if (!had && !o.claimNow(name, "deployed through this replica")) {
      throw Statuses.unavailable(
          "app '" + name + "' is owned by another replica; deploy again (it is forwarded there)");
    }
    if (!had && !current.containsKey(name) && stored(name).isPresent()) {
      takeOver(name, "deployed through this replica, which did not run it");
    }
  }

  /**
   * Starts a deployment's app (retiring {@code old}) and makes it current. The caller holds {@link
   * #lock}: a deploy, or the {@link Restorer} at start.
   */
  Deployed start(
      DeployAppRequest request, CreateAppRequest create, long version, Instant at, Deployed old) {
    assert Thread.holdsLock(lock);
    String name = create.getAppName();
    if (old != null) {
      apps.retire(old.id());
    }
    deploying.put(name, at);
    RunningApp app;
    try {
      app =
          apps.create(
              name,
              create.getFunctionsList(),
              AppClasspath.storedJars(request.getJarsList()),
              Set.copyOf(create.getCallableAppsList()),
              SecretEnvironments.resolve(create, secrets),
              AppDefinitions.images(images, create));
    } catch (RuntimeException e) {
      String id = deployingIds.get(name);
      if (id != null) {
        names.remove(id);
      }
      if (old != null) {
        apps.unretire(old.id());
      }
      throw e;
    } finally {
      deploying.remove(name);
      deployingIds.remove(name);
    }
    Deployed d = new Deployed(app, version, at, request);
    names.put(app.spec().id(), name);
    current.put(name, d);
    return d;
  }

  /**
   * Runs the stored, unfinished durable calls of a name that could not be restored on its new
   * deployment, under their old ids, their argument blobs handed to the new app id; a call of a
   * function the new version lacks gets a stored failure naming it.
   */
  private void adoptWaitingCalls(String name, RunningApp app) {
    int adopted = 0;
    for (StoredCall call : store.calls().unfinished()) {
      if (!call.deployed() || !call.appName().equals(name) || calls.live(call.id()).isPresent()) {
        continue;
      }
      Optional<FunctionInputs> function = app.function(call.function());
      if (function.isPresent()) {
        requeued(call.args(), app.spec().id()); // its argument blob, if any, goes with it
        calls.adopt(call.id(), function.get(), call.args());
        adopted++;
      } else {
        calls.failStored(
            call.id(),
            Failures.result(
                Failures.error(
                    ErrorKind.CANCELLED,
                    "call "
                        + call.id()
                        + " waited for app '"
                        + name
                        + "' to be restored, but its new deployment has no function '"
                        + call.function()
                        + "'")));
      }
    }
    LOG.log(Level.INFO, "app {0}: {1} waiting call(s) run on the new deployment", name, adopted);
  }

  /** Notes a stored deployment that could not start at restore (see {@link #list()}). */
  void notRestored(String name, long version, Instant deployedAt, String problem) {
    notRestored.put(name, new NotRestored(version, deployedAt, problem));
  }

  /** Whether the stored deployment of {@code name} could not start at restore. */
  boolean isNotRestored(String name) {
    return notRestored.containsKey(name);
  }

  private DeployAppResponse response(Deployed d) {
    return DeployAppResponse.newBuilder()
        .setAppId(d.id())
        .setVersion(d.version())
        .addAllFunctionNames(d.app().functions().keySet().stream().sorted().toList())
        .putAllWebUrls(web.urls(d.app()))
        .setDeployedAtMs(d.deployedAt().toEpochMilli())
        .build();
  }

  /**
   * Stops a deployed app (and replaced versions still draining) and forgets its deployment.
   *
   * @throws io.grpc.StatusRuntimeException NOT_FOUND if no app of that name is deployed
   */
  public void undeploy(String name) {
    synchronized (lock) {
      Deployed d = current.remove(name);
      if (d == null && notRestored.remove(name) != null) {
        store.deployments().delete(name).join();
        ownership.ifPresent(o -> o.forget(name));
        return;
      }
      if (d == null) {
        throw Statuses.notFound("app '" + name + "' is not deployed" + deployedNames());
      }
      store.deployments().delete(name).join();
      ownership.ifPresent(o -> o.forget(name));
      names.remove(d.id());
      apps.stop(d.id(), "app '" + name + "' was undeployed");
      stopRetired(name, "app '" + name + "' was undeployed");
    }
  }

  private String deployedNames() {
    List<String> all = current.keySet().stream().sorted().toList();
    return all.isEmpty() ? " (no app is deployed)" : " (deployed: " + String.join(", ", all) + ")";
  }

  /** Undeploys the app of this id if it is deployed; false if it is not a deployed app. */
  public boolean undeployById(String appId) {
    String name = names.get(appId);
    if (name == null) {
      return false;
    }
    synchronized (lock) {
      Deployed d = current.get(name);
      if (d != null && d.id().equals(appId)) {
        undeploy(name);
        return true;
      }
    }
    Deployed r = retired.remove(appId);
    if (r != null) {
      names.remove(appId);
      apps.stop(appId, "app stopped");
      return true;
    }
    return false;
  }

  // ------------------------------------------------------------------------------ lookups

  /**
   * The current deployment of {@code name}.
   *
   * @throws io.grpc.StatusRuntimeException NOT_FOUND naming the app
   */
  public RunningApp current(String name) {
    Deployed d = current.get(name);
    if (d == null && takingOver.contains(name)) {
      throw Statuses.unavailable(
          "app '" + name + "' is starting on this replica, which just took it over; ask again");
    }
    if (d == null) {
      throw Statuses.notFound("app '" + name + "' is not deployed" + deployedNames());
    }
    return d.app();
  }

  /**
   * Deployed, draining and ephemeral apps, and stored deployments that could not be restored (with
   * the problem), by name.
   */
  public List<AppSummary> list() {
    List<AppSummary> out = new ArrayList<>();
    Map<String, Deployed> byId = new HashMap<>();
    current.values().forEach(d -> byId.put(d.id(), d));
    for (RunningApp app : apps.all()) {
      String id = app.spec().id();
      AppSummary.Builder s =
          AppSummary.newBuilder()
              .setAppId(id)
              .setAppName(app.spec().name())
              .addAllFunctionNames(app.functions().keySet().stream().sorted().toList());
      ownership.ifPresent(o -> s.setReplica(o.id()));
      Deployed d = byId.get(id);
      Deployed r = retired.get(id);
      if (d != null) {
        s.setState(AppState.APP_DEPLOYED)
            .setVersion(d.version())
            .setDeployedAtMs(d.deployedAt().toEpochMilli());
      } else if (r != null) {
        s.setState(AppState.APP_DRAINING)
            .setVersion(r.version())
            .setDeployedAtMs(r.deployedAt().toEpochMilli());
      } else {
        s.setState(AppState.APP_EPHEMERAL);
      }
      out.add(s.build());
    }
    notRestored.forEach(
        (name, n) ->
            out.add(
                AppSummary.newBuilder()
                    .setAppName(name)
                    .setState(AppState.APP_NOT_RESTORED)
                    .setVersion(n.version())
                    .setDeployedAtMs(n.deployedAt().toEpochMilli())
                    .setProblem(
                        n.problem()
                            + "; its pending durable calls wait: fix the cause and restart the"
                            + " server, or deploy the app again")
                    .build()));
    ownership.ifPresent(o -> out.addAll(elsewhere(o)));
    out.sort(Comparator.comparing(AppSummary::getAppName).thenComparing(AppSummary::getVersion));
    return out;
  }

  /** The stored deployments that other replicas run (or that are moving between replicas). */
  private List<AppSummary> elsewhere(Ownership o) {
    Map<String, LeaseStore.Lease> leases = new HashMap<>();
    o.leases().forEach(l -> leases.put(l.app(), l));
    List<AppSummary> out = new ArrayList<>();
    for (StoredApp stored : store.deployments().all()) {
      if (current.containsKey(stored.name()) || notRestored.containsKey(stored.name())) {
        continue;
      }
      AppSummary.Builder s =
          AppSummary.newBuilder()
              .setAppName(stored.name())
              .setState(AppState.APP_DEPLOYED)
              .setVersion(stored.version())
              .setDeployedAtMs(stored.deployedAt().toEpochMilli());
      try {
        DeployAppRequest request = DeployAppRequest.parseFrom(stored.definition());
        request.getApp().getFunctionsList().stream()
            .map(FunctionDef::getName)
            .sorted()
            .forEach(s::addFunctionNames);
      } catch (InvalidProtocolBufferException e) {
        s.setProblem("its stored definition is damaged: " + e.getMessage());
      }
      LeaseStore.Lease lease = leases.get(stored.name());
      if (lease == null || lease.free()) {
        s.setReplica("(moving: no replica owns it right now)");
      } else {
        s.setReplica(lease.owner().orElse(""));
        lease.appId().ifPresent(s::setAppId);
      }
      out.add(s.build());
    }
    return out;
  }

  /** The stored history of scheduled runs of a deployed app (any version), if it is one. */
  public Optional<AppHistory> history(String appId) {
    String name = names.get(appId);
    if (name == null) {
      return Optional.empty();
    }
    AppHistory.Builder b = AppHistory.newBuilder();
    for (StoredRun r : store.runs().latest(name, HISTORY_LIMIT)) {
      ScheduledRun.Builder run =
          ScheduledRun.newBuilder()
              .setFunctionName(r.function())
              .setScheduledAtMs(r.scheduledAt().toEpochMilli())
              .setStartedAtMs(r.startedAt().toEpochMilli());
      if (r.finishedAt().isPresent() && r.result().isPresent()) {
        try {
          run.setFinishedAtMs(r.finishedAt().get().toEpochMilli())
              .setResult(Result.parseFrom(r.result().get()));
        } catch (InvalidProtocolBufferException e) {
          throw Statuses.failedPrecondition("a stored run of '" + name + "' is damaged: " + e);
        }
      }
      b.addRuns(run);
    }
    return Optional.of(b.build());
  }

  // ------------------------------------------------------------------------------ schedules

  @Override
  public Optional<ScheduleRunner.Resume> resume(String appId, String function) {
    Optional<RunningApp> app = apps.find(appId);
    if (app.isEmpty()) {
      return Optional.empty();
    }
    String name = app.get().spec().name();
    Instant anchor = deploying.get(name);
    if (anchor == null) {
      return Optional.empty();
    }
    // The runner fires a missed tick as soon as this returns, before AppDirectory.create does: the
    // run must already count as one of this deployment (keeps, runStarted).
    deployingIds.put(name, appId);
    names.put(appId, name);
    Optional<Instant> last = store.runs().lastTick(name, function).filter(t -> !t.isBefore(anchor));
    return Optional.of(new ScheduleRunner.Resume(anchor, last));
  }

  /**
   * Changes the autoscaler of a function of app {@code appId}: when the app is the current version
   * of a deployed app, the settings are stored first (they last across restarts and takeovers until
   * the next deploy of the name), and {@code apply} runs only once they are durable; for any other
   * app (ephemeral, or a replaced version draining its inputs) {@code apply} just runs.
   *
   * @throws io.grpc.StatusRuntimeException FAILED_PRECONDITION if the settings could not be stored
   *     (e.g. another replica owns the app now); nothing changes then
   */
  public void updateAutoscaler(
      String appId, String function, AutoscalerSettings settings, Runnable apply) {
    String name = names.get(appId);
    Deployed d = name == null ? null : current.get(name);
    if (d == null || !d.id().equals(appId)) {
      apply.run();
      return;
    }
    synchronized (autoscalerLock) { // a later update is stored and applied after an earlier one
      try {
        store
            .deployments()
            .saveAutoscaler(name, d.version(), function, settings.toByteArray())
            .join();
      } catch (RuntimeException e) {
        Throwable cause =
            e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        throw Statuses.failedPrecondition(
            "function '"
                + function
                + "' of app '"
                + name
                + "': its autoscaler settings could not be stored, so they were not changed: "
                + cause.getMessage());
      }
      apply.run();
    }
  }

  /**
   * Applies the stored autoscaler overrides of version {@code version} of {@code name} to the
   * functions of its current app, which that version just started as; an override that cannot be
   * applied (damaged, or of a function the app lacks) is logged and skipped.
   */
  void applyStoredAutoscalers(String name, long version) {
    RunningApp app = currentOrNull(name);
    if (app == null) {
      return;
    }
    store
        .deployments()
        .autoscalers(name, version)
        .forEach(
            (function, bytes) -> {
              try {
                AutoscalerSettings a = AutoscalerSettings.parseFrom(bytes);
                FunctionInputs f =
                    app.function(function)
                        .orElseThrow(
                            () -> new IllegalStateException("the app has no such function"));
                f.updateAutoscaler(
                    a.getMinContainers(),
                    a.getMaxContainers(),
                    a.getBufferContainers(),
                    Duration.ofMillis(a.getScaledownWindowMs()));
                LOG.log(
                    Level.INFO,
                    "app {0} (version {1}): function {2} keeps its autoscaler override {3}",
                    name,
                    version,
                    function,
                    a.toString().replace('\n', ' ').trim());
              } catch (InvalidProtocolBufferException | RuntimeException e) {
                LOG.log(
                    Level.WARNING,
                    "app '"
                        + name
                        + "' (version "
                        + version
                        + "): the stored autoscaler override of function '"
                        + function
                        + "' was not applied: "
                        + e.getMessage());
              }
            });
  }

  /** The name of the deployed app this app id is a version of, if it is one. */
  public Optional<String> nameOf(String appId) {
    return Optional.ofNullable(names.get(appId));
  }

  @Override
  public boolean keeps(String appId) {
    return names.containsKey(appId);
  }

  @Override
  public void runStarted(
      String appId, String runId, String function, Instant tick, Instant startedAt) {
    String name = names.get(appId);
    if (name != null) {
      store
          .runs()
          .add(
              new StoredRun(
                  runId, name, function, tick, startedAt, Optional.empty(), Optional.empty()))
          .join();
    }
  }

  @Override
  public void runFinished(String appId, String runId, Instant at, Result result) {
    store.runs().finish(runId, at, result.toByteArray());
  }

  // ------------------------------------------------------------------------------ lifecycle

  /**
   * Starts every stored deployment and re-queues the unfinished spawned calls of deployed apps;
   * other unfinished calls get a stored failure ({@link Restorer}). Call once, after the server
   * listens.
   */
  public void restore() {
    new Restorer(this, store, calls, jars, clock).restore();
  }

  /** The current deployment of {@code name}, or null if none. */
  RunningApp currentOrNull(String name) {
    Deployed d = current.get(name);
    return d == null ? null : d.app();
  }

  /** Stops replaced versions that have finished their inputs. */
  public void tick() {
    for (Deployed r : List.copyOf(retired.values())) {
      boolean idle = true;
      for (FunctionInputs f : r.app().functions().values()) {
        FunctionStatus s = f.status();
        if (s.getQueuedInputs() > 0 || s.getRunningInputs() > 0) {
          idle = false;
          break;
        }
      }
      if (idle && retired.remove(r.id(), r)) {
        names.remove(r.id());
        apps.stop(
            r.id(),
            "version " + r.version() + " of app '" + r.app().spec().name() + "' was replaced");
      }
    }
  }
}
