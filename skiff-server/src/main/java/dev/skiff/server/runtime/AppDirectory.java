package dev.skiff.server.runtime;

import dev.skiff.proto.ContainerState;
import dev.skiff.proto.ContainerStatus;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.VolumeMount;
import dev.skiff.server.backend.Capability;
import dev.skiff.server.common.RandomIds;
import dev.skiff.server.metrics.ContainerCounts;
import dev.skiff.server.scaling.WarmPool;
import io.grpc.Status;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * The apps a control plane runs, by id. Thread-safe.
 *
 * <p><b>Ownership.</b> The directory is the single authority for which apps run in this control
 * plane: only {@link #create}, {@link #stop}, {@link #retire} and {@link #unretire} change it, and
 * its {@link Listener}s (schedules, web endpoints) follow it. It alone creates, starts, ticks and
 * closes the {@link FunctionScheduler} of each function; everyone else reaches a function through
 * the ports that {@link RunningApp} ({@link FunctionInputs}) and {@link Container} ({@link
 * ContainerEvents}) hand out. Nothing here is persisted: deployed apps are recreated by {@code
 * Deployments.restore}, under new ids. App ids are per process, so several control planes sharing
 * one database would each act only on apps they created, and need a lease per app name to decide
 * which one runs a deployed app (docs/DESIGN.md, section 12, "Who owns which state").
 */
public final class AppDirectory {
  private final SchedulerContext ctx;
  private final ConcurrentHashMap<String, RunningApp> apps = new ConcurrentHashMap<>();

  /** Schedules and web endpoints: told when apps start and stop. */
  private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();

  public AppDirectory(SchedulerContext ctx) {
    this.ctx = ctx;
  }

  /**
   * Told when an app starts (before its containers start; throwing refuses the app) and when it
   * stops (also for an app whose start was refused).
   */
  public interface Listener {
    void started(RunningApp app);

    void stopped(RunningApp app);
  }

  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  /**
   * Registers an app on the host paths {@code classpath} (its definitions already validated) and
   * starts its minimum containers.
   */
  public RunningApp create(String name, List<FunctionDef> functions, List<String> classpath) {
    return create(name, functions, classpath, Map.of());
  }

  /** Registers an app whose functions' containers get {@code secretEnv} (by function name). */
  public RunningApp create(
      String name,
      List<FunctionDef> functions,
      List<String> classpath,
      Map<String, Map<String, String>> secretEnv) {
    return create(
        name, functions, AppClasspath.hostPaths(classpath), Set.of(), secretEnv, Map.of());
  }

  /**
   * Registers an app whose functions' containers get {@code secretEnv} and run on {@code images}
   * (both by function name), and may call the deployed apps {@code callableApps} besides their own.
   */
  public RunningApp create(
      String name,
      List<FunctionDef> functions,
      AppClasspath classpath,
      Set<String> callableApps,
      Map<String, Map<String, String>> secretEnv,
      Map<String, ImageRuntime> images) {
    refuseRegistryImagesWhereUnsupported(name, images);
    RunningApp app;
    do {
      AppSpec spec = new AppSpec(RandomIds.appId(), name, classpath.entries(), callableApps);
      Map<String, FunctionScheduler> schedulers = new LinkedHashMap<>();
      for (FunctionDef def : functions) {
        schedulers.put(
            def.getName(),
            new FunctionScheduler(
                spec,
                def,
                ctx,
                secretEnv.getOrDefault(def.getName(), Map.of()),
                Optional.ofNullable(images.get(def.getName()))));
      }
      app = new RunningApp(spec, schedulers);
    } while (apps.putIfAbsent(app.spec().id(), app) != null);
    // Before the listeners: a refused app is stopped, which releases its shapes again.
    warmShapes(app).forEach(ctx.pool()::acquire);
    try {
      for (Listener l : listeners) {
        l.started(app);
      }
    } catch (RuntimeException e) {
      stop(app.spec().id(), "app '" + name + "' could not be created");
      throw e;
    }
    app.schedulers().forEach(FunctionScheduler::start);
    return app;
  }

  /**
   * Why the containers of {@code def} can never be placed, as the backend's {@link
   * dev.skiff.server.backend.Placement} says (too big for its nodes, a GPU type or region it
   * lacks), or empty if they can.
   */
  public Optional<String> neverFits(FunctionDef def) {
    return ctx.placement().neverFits(FunctionCore.requestOf(def));
  }

  /**
   * Refuses an app whose functions hold secrets where the backend cannot run them (no sandbox, and
   * its operator did not allow unsandboxed containers), before anything is applied.
   *
   * @throws io.grpc.StatusRuntimeException UNIMPLEMENTED naming the first such function and why
   */
  public void refuseSecretsWithoutSandbox(String appName, Set<String> functionsWithSecrets) {
    Optional<String> why = ctx.backend().capabilities().whyNot(Capability.SECRETS);
    if (why.isEmpty() || functionsWithSecrets.isEmpty()) {
      return;
    }
    String function = functionsWithSecrets.stream().sorted().findFirst().orElseThrow();
    throw Status.UNIMPLEMENTED
        .withDescription(
            "function '"
                + function
                + "' of app '"
                + appName
                + "' has secrets, which run only in"
                + " the container sandbox: "
                + why.get())
        .asRuntimeException();
  }

  /**
   * Refuses an app with a function on a registry image where the backend cannot pull one (the local
   * backend), before anything is applied. Building such an image is refused already; this covers an
   * app that names one by id without building it (a deployment restored or taken over here, an
   * image recorded by another server sharing the build cache).
   *
   * @throws io.grpc.StatusRuntimeException UNIMPLEMENTED naming the first such function, its image
   *     and why
   */
  private void refuseRegistryImagesWhereUnsupported(
      String appName, Map<String, ImageRuntime> images) {
    Optional<String> why = ctx.backend().capabilities().whyNot(Capability.REGISTRY_IMAGE);
    if (why.isEmpty()) {
      return;
    }
    images.entrySet().stream()
        .filter(e -> e.getValue().registry().isPresent())
        .min(Map.Entry.comparingByKey())
        .ifPresent(
            e -> {
              throw Status.UNIMPLEMENTED
                  .withDescription(
                      "function '"
                          + e.getKey()
                          + "' of app '"
                          + appName
                          + "' runs on the registry image "
                          + e.getValue().registry().get().reference()
                          + ", which this server's container backend cannot run: "
                          + why.get())
                  .asRuntimeException();
            });
  }

  /**
   * Refuses an app with a function that blocks the network where the backend has no sandbox: a
   * plain process shares the host's network, so the promise could not be kept.
   *
   * @throws io.grpc.StatusRuntimeException UNIMPLEMENTED naming the first such function and why
   */
  public void refuseBlockedNetworkWithoutSandbox(String appName, List<FunctionDef> functions) {
    Optional<String> why = ctx.backend().capabilities().whyNot(Capability.SANDBOX);
    if (why.isEmpty()) {
      return;
    }
    functions.stream()
        .filter(FunctionDef::getBlockNetwork)
        .findFirst()
        .ifPresent(
            f -> {
              throw Status.UNIMPLEMENTED
                  .withDescription(
                      "function '"
                          + f.getName()
                          + "' of app '"
                          + appName
                          + "' blocks the"
                          + " network, which needs the container sandbox: "
                          + why.get())
                  .asRuntimeException();
            });
  }

  public Optional<RunningApp> find(String appId) {
    return Optional.ofNullable(apps.get(appId));
  }

  /** The names of the volumes that the functions of a running app mount; empty for no such app. */
  public Set<String> volumesOf(String appId) {
    return find(appId).stream()
        .flatMap(a -> a.functions().values().stream())
        .flatMap(f -> f.def().getVolumesList().stream())
        .map(VolumeMount::getVolume)
        .collect(Collectors.toUnmodifiableSet());
  }

  /**
   * Stops an app: cancels its inputs with {@code reason}, stops its containers, ends its log
   * streams, releases its classpath in the warm pool (whose warm containers stop if no other app
   * uses it), and forgets it.
   *
   * @return false if no such app runs
   */
  public boolean stop(String appId, String reason) {
    RunningApp app = apps.remove(appId);
    if (app == null) {
      return false;
    }
    listeners.forEach(l -> l.stopped(app));
    app.schedulers().forEach(f -> f.close(reason));
    warmShapes(app).forEach(ctx.pool()::release);
    ctx.logs().closeApp(appId);
    return true;
  }

  /**
   * The shapes of warm container an app keeps in the pool while it runs: those its functions could
   * take ({@code FunctionScheduler.warmShape}), its classpath on the backend's JDK or on an image.
   * An app none of whose functions could take one keeps none.
   */
  private static Set<WarmPool.Shape> warmShapes(RunningApp app) {
    Set<WarmPool.Shape> shapes = new LinkedHashSet<>();
    app.schedulers().forEach(f -> f.warmShape().ifPresent(shapes::add));
    return shapes;
  }

  /**
   * The warm-pool containers kept for the classpath of a running app, as {@code CONTAINER_WARM}
   * containers with no inputs; empty for no such app.
   */
  public List<ContainerStatus> warmContainers(String appId) {
    return find(appId).stream()
        .flatMap(a -> warmShapes(a).stream().flatMap(s -> ctx.pool().waiting(s).stream()))
        .map(
            id ->
                ContainerStatus.newBuilder()
                    .setContainerId(id)
                    .setState(ContainerState.CONTAINER_WARM)
                    .build())
        .toList();
  }

  /**
   * Takes an app's schedules and web endpoints away (its listeners see it stop) while its inputs go
   * on; {@link #stop} ends it later.
   */
  public void retire(String appId) {
    RunningApp app = apps.get(appId);
    if (app != null) {
      listeners.forEach(l -> l.stopped(app));
    }
  }

  /** Gives a retired app its schedules and web endpoints back (its replacement failed). */
  public void unretire(String appId) {
    RunningApp app = apps.get(appId);
    if (app != null) {
      listeners.forEach(l -> l.started(app));
    }
  }

  /** Every running app. */
  public List<RunningApp> all() {
    return List.copyOf(apps.values());
  }

  public void stopAll(String reason) {
    List.copyOf(apps.keySet()).forEach(id -> stop(id, reason));
  }

  /**
   * Places the containers that waited for capacity (see {@link FunctionScheduler#placeWaiting}).
   */
  public void placeWaiting() {
    apps.values().forEach(app -> app.schedulers().forEach(FunctionScheduler::placeWaiting));
  }

  /** Housekeeping of every function (see {@link FunctionScheduler#tick()}). */
  public void tick() {
    apps.values().forEach(app -> app.schedulers().forEach(FunctionScheduler::tick));
  }

  /**
   * How many containers of running functions (retired versions included) are in each state, taking
   * each function's lock in turn: a sum of per-function snapshots, not one instant.
   */
  public ContainerCounts containerCounts() {
    ContainerCounts total = ContainerCounts.NONE;
    for (RunningApp app : apps.values()) {
      for (FunctionScheduler f : app.schedulers()) {
        total = total.plus(f.containerCounts());
      }
    }
    return total;
  }
}
