package dev.skiff.server.runtime;

import dev.skiff.internal.container.ContainerEnvironment;
import dev.skiff.proto.Bind;
import dev.skiff.proto.FunctionDef;
import dev.skiff.server.backend.ContainerSpec;
import dev.skiff.server.backend.Placement;
import dev.skiff.server.backend.Resources;
import dev.skiff.server.common.RandomIds;
import dev.skiff.server.files.VolumeStore;
import dev.skiff.server.scaling.Autoscaler;
import dev.skiff.server.scaling.ContainerLoad;
import dev.skiff.server.scaling.FunctionLoad;
import dev.skiff.server.scaling.ScalingDecision;
import dev.skiff.server.scaling.WarmPool;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;

/**
 * Rescaling one function: asks the {@link Autoscaler} how many containers to start or stop for the
 * current {@link FunctionLoad}, places each start with the backend's {@link Placement}, and starts
 * it: from the warm pool, or from a {@link ContainerSpec} with the container's environment (the
 * contract with the SDK's container entrypoint). A layer of {@link FunctionScheduler} (see {@link
 * FunctionCore}): it shares the function's one lock, and every method here must be called with it
 * held.
 */
abstract class ContainerLauncher extends ContainerLifecycle {
  // Guarded by lock.
  /** Why containers wait, as last logged; logged again only when it changes. */
  private Optional<String> lastWaiting = Optional.empty();

  /** The reservation of the container being started right now (read by its environment). */
  private Optional<Placement.Reservation> placing = Optional.empty();

  /** Containers the last rescale wanted but could not place on the node, and why. */
  int unplaced;

  Optional<String> unplacedReason = Optional.empty();

  ContainerLauncher(
      AppSpec app,
      FunctionDef def,
      SchedulerContext ctx,
      Map<String, String> secretEnv,
      Optional<ImageRuntime> image) {
    super(app, def, ctx, secretEnv, image);
  }

  @Override
  void rescale(Outbox out) {
    if (closed) {
      return;
    }
    Instant now = ctx.ticker().instant();
    FunctionLoad load = measure(now);
    ScalingDecision decision = ctx.autoscaler().decide(policy, load, now);
    if (!decision.waiting().equals(lastWaiting)) {
      lastWaiting = decision.waiting();
      lastWaiting.ifPresent(
          why -> LOG.log(Level.DEBUG, "{0}: containers wait: {1}", qualifiedName(), why));
    }
    if (!decision.changesAnything()) {
      noteUnplaced(0, Optional.empty());
      return;
    }
    LOG.log(Level.DEBUG, "{0}: {1}", qualifiedName(), decision.reason());
    int started = 0;
    Optional<String> notPlaced = Optional.empty();
    while (started < decision.start()) {
      Placement.Outcome placement = ctx.placement().place(resources);
      if (placement instanceof Placement.Waiting w) {
        notPlaced = Optional.of(w.reason());
        break;
      }
      Placement.Reservation reservation = ((Placement.Placed) placement).reservation();
      int before = containers.size();
      placing = Optional.of(reservation);
      try {
        startContainer(now, out);
      } finally {
        placing = Optional.empty();
      }
      if (containers.size() > before) {
        reservations.put(newestContainerId(), reservation);
      } else {
        ctx.placement().release(reservation);
      }
      started++;
    }
    noteUnplaced(decision.start() - started, notPlaced);
    for (String id : decision.stop()) {
      Container c = containers.get(id);
      if (c != null && c.phase != Container.Phase.STOPPING) {
        retire(c, out);
      }
    }
  }

  /** The id of the container registered last (containers keep their registration order). */
  private String newestContainerId() {
    String newest = "";
    for (String id : containers.keySet()) {
      newest = id;
    }
    return newest;
  }

  /** Remembers (and logs, when it changes) how many wanted containers do not fit the node. */
  private void noteUnplaced(int count, Optional<String> reason) {
    if (!reason.equals(unplacedReason)) {
      reason.ifPresent(
          why ->
              LOG.log(
                  Level.DEBUG,
                  "{0}: {1} container(s) wait for room on the node: {2}",
                  qualifiedName(),
                  Integer.toString(count),
                  why));
    }
    unplaced = count;
    unplacedReason = reason;
  }

  /**
   * The load as the autoscaler sees it. Inputs sent ahead to a busy container count as queued;
   * attempts still held by a stopping container count for nothing (they are not demand).
   */
  FunctionLoad measure(Instant now) {
    int queued = queue.size();
    int running = 0;
    List<ContainerLoad> loads = new ArrayList<>(containers.size());
    for (Container c : containers.values()) {
      int inSlots = c.attempts.size() - c.prefetched.size();
      ContainerLoad.State state =
          switch (c.phase) {
            case STARTING -> ContainerLoad.State.STARTING;
            case READY ->
                c.attempts.isEmpty() ? ContainerLoad.State.IDLE : ContainerLoad.State.BUSY;
            case STOPPING -> ContainerLoad.State.STOPPING;
          };
      if (c.phase == Container.Phase.READY) {
        queued += c.prefetched.size();
        running += inSlots;
      }
      Instant since = state == ContainerLoad.State.IDLE ? c.idleSince : c.createdAt;
      loads.add(new ContainerLoad(c.id, state, inSlots, since));
    }
    return new FunctionLoad(queued, running, loads, startupGuard.backingOff(now));
  }

  private void startContainer(Instant now, Outbox out) {
    Optional<WarmPool.Shape> shape = warmShape();
    Optional<WarmPool.Warm> warm =
        shape.isEmpty()
            ? Optional.empty()
            : ctx.pool()
                .claim(
                    shape.get(),
                    w -> {
                      Container adopted =
                          new Container(w.id, w.token, this, policy.slotsPerContainer(), now);
                      adopted.fromWarmPool = true;
                      adopted.pendingBind =
                          Optional.of(
                              Bind.newBuilder()
                                  .setAppId(app.id())
                                  .setAppName(app.name())
                                  .setFunction(def)
                                  .setConcurrentInputs(policy.slotsPerContainer())
                                  .build());
                      ctx.tokens().rebind(w.token, w.id, app.id());
                      ctx.containers().put(w.id, adopted);
                      containers.put(w.id, adopted);
                      return adopted;
                    });
    if (warm.isPresent()) {
      Container c = ctx.containers().get(warm.get().id);
      c.startupTimer = schedule(() -> onStartupTimeout(c), startupTimeout);
      c.handle = ctx.pool().handleOf(warm.get());
      ctx.pool().channelOf(warm.get()).ifPresent(ch -> attachLocked(c, ch));
      LOG.log(Level.DEBUG, "{0}: {1} taken from the warm pool", qualifiedName(), c);
      return;
    }
    Container container;
    while (true) {
      String id = RandomIds.containerId();
      String token = ctx.tokens().issue(id, app.id());
      container = new Container(id, token, this, policy.slotsPerContainer(), now);
      if (ctx.containers().putIfAbsent(id, container) == null) {
        break;
      }
      ctx.tokens().revoke(token); // an id already taken: draw again
    }
    String id = container.id;
    Container c = container;
    containers.put(id, c);
    c.startupTimer = schedule(() -> onStartupTimeout(c), startupTimeout);
    ContainerSpec spec =
        new ContainerSpec(
            id,
            app.classpath(),
            environment(c),
            VolumeStore.mounts(def),
            image.flatMap(ImageRuntime::builtId),
            new ContainerSpec.Reach(
                Optional.of(ctx.containerEndpoint().get().socket()),
                !def.getBlockNetwork(),
                placing.map(Placement.Reservation::gpuIndexes).orElse(List.of()),
                !secretEnv.isEmpty()),
            containerResources(),
            image.flatMap(ImageRuntime::registry));
    out.add(
        () -> {
          try {
            ctx.launcher().execute(() -> launch(c, spec));
          } catch (RejectedExecutionException e) {
            onLaunchFailed(c, e);
          }
        });
  }

  /** The contract with the SDK's container entrypoint ({@link ContainerEnvironment}). */
  private Map<String, String> environment(Container c) {
    Map<String, String> env = new LinkedHashMap<>();
    env.putAll(secretEnv);
    env.putAll(
        ContainerEnvironment.of(
            new ContainerEnvironment.Identity(
                ctx.backend().advertisedEndpoint(ctx.containerEndpoint().get().socket()),
                c.token,
                c.id),
            new ContainerEnvironment.Function(
                app.id(),
                app.name(),
                name,
                def.getClassName(),
                def.getMethodName(),
                def.getMethodDescriptor(),
                def.getGenerator(),
                policy.slotsPerContainer())));
    env.putAll(gpuEnvironment());
    return env;
  }

  /**
   * The GPU devices of the container being placed in {@code CUDA_VISIBLE_DEVICES} (empty, hiding
   * every device, on a node with GPUs when it has none).
   */
  private Map<String, String> gpuEnvironment() {
    return ContainerEnvironment.gpus(
        placing.map(Placement.Reservation::gpuType).orElse(""),
        placing.map(Placement.Reservation::gpuIndexes).orElse(List.of()),
        ctx.placement().hasGpus());
  }

  /** What the container reserves and its limits, which the backend enforces. */
  private Resources containerResources() {
    return new Resources(
        resources.milliCpuRequest(),
        resources.milliCpuLimit(),
        resources.memoryRequestMib(),
        resources.memoryLimitMib(),
        resources.gpus(),
        resources.regions());
  }
}
