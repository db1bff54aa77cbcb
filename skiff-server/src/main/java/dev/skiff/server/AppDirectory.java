package dev.skiff.server;

import dev.skiff.proto.FunctionDef;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The apps a control plane runs, by id. Thread-safe. */
final class AppDirectory {
  private final SchedulerContext ctx;
  private final ConcurrentHashMap<String, RunningApp> apps = new ConcurrentHashMap<>();

  AppDirectory(SchedulerContext ctx) {
    this.ctx = ctx;
  }

  /** Registers an app (its definitions already validated) and starts its minimum containers. */
  RunningApp create(String name, List<FunctionDef> functions, List<String> classpath) {
    RunningApp app;
    do {
      AppSpec spec = new AppSpec(RandomIds.appId(), name, classpath);
      Map<String, FunctionScheduler> schedulers = new LinkedHashMap<>();
      for (FunctionDef def : functions) {
        schedulers.put(def.getName(), new FunctionScheduler(spec, def, ctx));
      }
      app = new RunningApp(spec, schedulers);
    } while (apps.putIfAbsent(app.spec().id(), app) != null);
    app.functions().values().forEach(FunctionScheduler::start);
    return app;
  }

  Optional<RunningApp> find(String appId) {
    return Optional.ofNullable(apps.get(appId));
  }

  /**
   * Stops an app: cancels its inputs with {@code reason}, stops its containers, ends its log
   * streams, and forgets it.
   *
   * @return false if no such app runs
   */
  boolean stop(String appId, String reason) {
    RunningApp app = apps.remove(appId);
    if (app == null) {
      return false;
    }
    app.functions().values().forEach(f -> f.close(reason));
    ctx.logs().closeApp(appId);
    return true;
  }

  void stopAll(String reason) {
    List.copyOf(apps.keySet()).forEach(id -> stop(id, reason));
  }

  /** Housekeeping of every function (see {@link FunctionScheduler#tick()}). */
  void tick() {
    apps.values().forEach(app -> app.functions().values().forEach(FunctionScheduler::tick));
  }
}
