package dev.skiff.server.deploy;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.skiff.proto.AppHistory;
import dev.skiff.proto.AppState;
import dev.skiff.proto.AppSummary;
import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.DeployAppRequest;
import dev.skiff.proto.DeployAppResponse;
import dev.skiff.proto.ErrorKind;
import dev.skiff.proto.FunctionStatus;
import dev.skiff.proto.JarChunk;
import dev.skiff.proto.Result;
import dev.skiff.proto.ScheduledRun;
import dev.skiff.proto.UploadJarResponse;
import dev.skiff.server.calls.CallRegistry;
import dev.skiff.server.common.Statuses;
import dev.skiff.server.files.VolumeStore;
import dev.skiff.server.image.ImageStore;
import dev.skiff.server.runtime.AppDirectory;
import dev.skiff.server.runtime.Failures;
import dev.skiff.server.runtime.FunctionInputs;
import dev.skiff.server.runtime.RunningApp;
import dev.skiff.server.schedule.ScheduleRunner;
import dev.skiff.server.secrets.SecretEnvironments;
import dev.skiff.server.secrets.SecretStore;
import dev.skiff.server.store.Store;
import dev.skiff.server.store.StoredApp;
import dev.skiff.server.store.StoredCall;
import dev.skiff.server.store.StoredRun;
import dev.skiff.server.web.WebGateway;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The deployed apps of the long-running server: apps registered under their name that run until
 * undeployed and come back after a restart.
 *
 * <p><b>Classpath.</b> Jars are stored content-addressed as {@code <data-dir>/classpath/<sha-256>
 * .jar}; a client first asks which of its jars are missing and uploads only those. Containers of a
 * deployed app run from the stored jars.
 *
 * <p><b>Redeploy.</b> A new deployment of a name starts a new app (a new version); the old one is
 * <em>retired</em>: its schedules and web endpoints move to the new one at once, calls by name go
 * to the new one, and the old one keeps running only the inputs it already had. It is stopped once
 * it has none ({@link #tick()}).
 *
 * <p><b>Restart.</b> {@link #restore()} starts every stored deployment again, with its schedules
 * counting from its deployment time and resuming after the last tick that ran (a tick missed while
 * the server was down runs once, at once), and re-queues the unfinished spawned calls of deployed
 * apps under their old ids.
 *
 * <p>Thread-safe: {@link #lock} guards the deployments by name; deploys run one at a time.
 */
public final class Deployments implements ScheduleRunner.Persistence {
  private static final System.Logger LOG = System.getLogger(Deployments.class.getName());
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final int HISTORY_LIMIT = ScheduleRunner.HISTORY_LIMIT;

  /** A deployed version of an app. */
  private record Deployed(
      RunningApp app, long version, Instant deployedAt, DeployAppRequest request) {
    String id() {
      return app.spec().id();
    }
  }

  private final AppDirectory apps;
  private final ImageStore images;
  private final VolumeStore volumes;
  private final Store store;
  private final CallRegistry calls;
  private final WebGateway web;
  private final Clock clock;
  private final Path jars;

  // Guards current; deploys and undeploys hold it throughout.
  private final Object lock = new Object();
  private final Map<String, Deployed> current = new HashMap<>();
  // Ids of deployed apps (current and retired) and their names; read without the lock.
  private final ConcurrentHashMap<String, String> names = new ConcurrentHashMap<>();
  // Replaced versions still finishing their inputs, by app id.
  private final ConcurrentHashMap<String, Deployed> retired = new ConcurrentHashMap<>();
  // The deployment time of names being deployed right now, for resume() during AppDirectory.create.
  private final ConcurrentHashMap<String, Instant> deploying = new ConcurrentHashMap<>();

  private final SecretStore secrets; // named secrets, resolved when a deployment (re)starts

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
    this.jars = dataDir.resolve("classpath");
    this.secrets = SecretStore.open(dataDir);
    calls.deployedApps(names::containsKey);
  }

  // ------------------------------------------------------------------------------ jars

  /** The jars of {@code sha256s} that the server does not hold. */
  public List<String> missing(List<String> sha256s) {
    List<String> out = new ArrayList<>();
    for (String sha : sha256s) {
      checkSha(sha);
      if (!Files.isRegularFile(jarPath(sha))) {
        out.add(sha);
      }
    }
    return out;
  }

  private Path jarPath(String sha) {
    return jars.resolve(sha + ".jar");
  }

  private static void checkSha(String sha) {
    if (!SHA256.matcher(sha).matches()) {
      throw Statuses.invalid(
          "'" + sha + "' is not a sha-256; give 64 lower-case hex digits for each jar");
    }
  }

  /** Receives one jar upload: written to a temporary file, checked, then moved into place. */
  public StreamObserver<JarChunk> upload(StreamObserver<UploadJarResponse> response) {
    return new StreamObserver<>() {
      private String sha;
      private Path temp;
      private OutputStream out;
      private MessageDigest digest;
      private long size;
      private boolean failed;

      @Override
      public void onNext(JarChunk chunk) {
        if (failed) {
          return;
        }
        try {
          if (out == null) {
            sha = chunk.getSha256();
            checkSha(sha);
            Files.createDirectories(jars);
            temp = Files.createTempFile(jars, "upload-", ".tmp");
            digest = MessageDigest.getInstance("SHA-256");
            out = new DigestOutputStream(Files.newOutputStream(temp), digest);
          }
          chunk.getData().writeTo(out);
          size += chunk.getData().size();
        } catch (IOException | NoSuchAlgorithmException | RuntimeException e) {
          fail(
              e instanceof RuntimeException r
                  ? r
                  : new UncheckedIOException(
                      new IOException("could not store the jar: " + e.getMessage(), e)));
        }
      }

      private void fail(RuntimeException e) {
        failed = true;
        cleanUp();
        response.onError(Statuses.of(e));
      }

      private void cleanUp() {
        try {
          if (out != null) {
            out.close();
          }
          if (temp != null) {
            Files.deleteIfExists(temp);
          }
        } catch (IOException e) {
          LOG.log(Level.WARNING, "could not remove " + temp, e);
        }
      }

      @Override
      public void onError(Throwable t) {
        failed = true;
        cleanUp();
      }

      @Override
      public void onCompleted() {
        if (failed) {
          return;
        }
        if (out == null) {
          fail(
              Statuses.invalid(
                  "the upload sent no chunk; the first chunk names the jar's sha-256"));
          return;
        }
        try {
          out.close();
          String actual = HexFormat.of().formatHex(digest.digest());
          if (!actual.equals(sha)) {
            fail(
                Statuses.invalid(
                    "the uploaded jar's sha-256 is " + actual + ", not " + sha + " as declared"));
            return;
          }
          Files.move(
              temp,
              jarPath(sha),
              StandardCopyOption.ATOMIC_MOVE,
              StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
          fail(new UncheckedIOException("could not store jar " + sha, e));
          return;
        }
        response.onNext(UploadJarResponse.newBuilder().setSha256(sha).setSize(size).build());
        response.onCompleted();
      }
    };
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
    List<String> missing = missing(request.getJarsList());
    if (!missing.isEmpty()) {
      throw Statuses.failedPrecondition(
          "app '" + name + "': these classpath jars were not uploaded: " + missing);
    }
    CreateAppRequest create = withStoredClasspath(request);
    AppDefinitions.check(apps, create);
    volumes.prepare(name, create.getFunctionsList());
    synchronized (lock) {
      Deployed old = current.get(name);
      long version = (old != null ? old.version() : 0) + 1;
      Instant now = clock.instant();
      Deployed created = start(request, create, version, now, old);
      try {
        store.saveApp(new StoredApp(name, version, now, request.toByteArray())).join();
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
      return response(created);
    }
  }

  /** Starts a deployment's app (retiring {@code old}) and makes it current. Holds the lock. */
  private Deployed start(
      DeployAppRequest request, CreateAppRequest create, long version, Instant at, Deployed old) {
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
              create.getClasspathList(),
              Set.copyOf(create.getCallableAppsList()),
              SecretEnvironments.resolve(create, secrets),
              AppDefinitions.images(images, create));
    } catch (RuntimeException e) {
      if (old != null) {
        apps.unretire(old.id());
      }
      throw e;
    } finally {
      deploying.remove(name);
    }
    Deployed d = new Deployed(app, version, at, request);
    names.put(app.spec().id(), name);
    current.put(name, d);
    return d;
  }

  private CreateAppRequest withStoredClasspath(DeployAppRequest request) {
    CreateAppRequest.Builder b = request.getApp().toBuilder().clearClasspath();
    request.getJarsList().forEach(sha -> b.addClasspath(jarPath(sha).toString()));
    return b.build();
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
      if (d == null) {
        throw Statuses.notFound("app '" + name + "' is not deployed" + deployedNames());
      }
      store.deleteApp(name).join();
      names.remove(d.id());
      apps.stop(d.id(), "app '" + name + "' was undeployed");
      for (Deployed r : List.copyOf(retired.values())) {
        if (r.app().spec().name().equals(name)) {
          retired.remove(r.id());
          names.remove(r.id());
          apps.stop(r.id(), "app '" + name + "' was undeployed");
        }
      }
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
    synchronized (lock) {
      Deployed d = current.get(name);
      if (d == null) {
        throw Statuses.notFound("app '" + name + "' is not deployed" + deployedNames());
      }
      return d.app();
    }
  }

  /** Deployed, draining and ephemeral apps, by name. */
  public List<AppSummary> list() {
    List<AppSummary> out = new ArrayList<>();
    Map<String, Deployed> byId = new HashMap<>();
    synchronized (lock) {
      current.values().forEach(d -> byId.put(d.id(), d));
    }
    for (RunningApp app : apps.all()) {
      String id = app.spec().id();
      AppSummary.Builder s =
          AppSummary.newBuilder()
              .setAppId(id)
              .setAppName(app.spec().name())
              .addAllFunctionNames(app.functions().keySet().stream().sorted().toList());
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
    out.sort(Comparator.comparing(AppSummary::getAppName).thenComparing(AppSummary::getVersion));
    return out;
  }

  /** The stored history of scheduled runs of a deployed app (any version), if it is one. */
  public Optional<AppHistory> history(String appId) {
    String name = names.get(appId);
    if (name == null) {
      return Optional.empty();
    }
    AppHistory.Builder b = AppHistory.newBuilder();
    for (StoredRun r : store.runs(name, HISTORY_LIMIT)) {
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
    Optional<Instant> last = store.lastTick(name, function).filter(t -> !t.isBefore(anchor));
    return Optional.of(new ScheduleRunner.Resume(anchor, last));
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
      store.addRun(
          new StoredRun(
              runId, name, function, tick, startedAt, Optional.empty(), Optional.empty()));
    }
  }

  @Override
  public void runFinished(String appId, String runId, Instant at, Result result) {
    store.finishRun(runId, at, result.toByteArray());
  }

  // ------------------------------------------------------------------------------ lifecycle

  /**
   * Starts every stored deployment and re-queues the unfinished spawned calls of deployed apps;
   * other unfinished calls get a stored failure. Call once, after the server listens.
   */
  public void restore() {
    synchronized (lock) {
      for (StoredApp stored : store.apps()) {
        try {
          DeployAppRequest request = DeployAppRequest.parseFrom(stored.definition());
          List<String> missing = missing(request.getJarsList());
          if (!missing.isEmpty()) {
            throw new IllegalStateException("its classpath jars are gone: " + missing);
          }
          CreateAppRequest create = withStoredClasspath(request);
          start(request, create, stored.version(), stored.deployedAt(), null);
          LOG.log(Level.INFO, "app {0} (version {1}) restored", stored.name(), stored.version());
        } catch (InvalidProtocolBufferException | RuntimeException e) {
          LOG.log(Level.ERROR, "deployed app '" + stored.name() + "' could not be restored", e);
        }
      }
    }
    int requeued = 0;
    int failed = 0;
    for (StoredCall call : store.unfinishedCalls()) {
      Optional<FunctionInputs> function =
          call.deployed()
              ? Optional.ofNullable(currentOrNull(call.appName()))
                  .flatMap(a -> a.function(call.function()))
              : Optional.empty();
      if (function.isPresent()) {
        calls.adopt(call.id(), function.get(), ByteString.copyFrom(call.args()));
        requeued++;
      } else {
        calls.failStored(
            call.id(),
            Failures.result(
                Failures.error(
                    ErrorKind.CANCELLED,
                    "the server restarted before call "
                        + call.id()
                        + " finished, and function '"
                        + call.function()
                        + "' of app '"
                        + call.appName()
                        + "' is not deployed, so it could not run again")));
        failed++;
      }
    }
    if (requeued + failed > 0) {
      LOG.log(
          Level.INFO,
          "re-queued {0} unfinished call(s) of deployed apps; {1} could not run again",
          requeued,
          failed);
    }
  }

  private RunningApp currentOrNull(String name) {
    synchronized (lock) {
      Deployed d = current.get(name);
      return d == null ? null : d.app();
    }
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
