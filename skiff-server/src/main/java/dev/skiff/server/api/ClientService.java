package dev.skiff.server.api;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.skiff.proto.AppHistory;
import dev.skiff.proto.AppHistoryRequest;
import dev.skiff.proto.AppState;
import dev.skiff.proto.AppStatus;
import dev.skiff.proto.AppStatusRequest;
import dev.skiff.proto.AppSummary;
import dev.skiff.proto.AutoscalerSettings;
import dev.skiff.proto.CallRequest;
import dev.skiff.proto.CancelRequest;
import dev.skiff.proto.CancelResponse;
import dev.skiff.proto.ClientApiGrpc;
import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.CreateAppResponse;
import dev.skiff.proto.DeployAppRequest;
import dev.skiff.proto.DeployAppResponse;
import dev.skiff.proto.FindMissingJarsRequest;
import dev.skiff.proto.FindMissingJarsResponse;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.FunctionRef;
import dev.skiff.proto.GenerateRequest;
import dev.skiff.proto.GenerateResponse;
import dev.skiff.proto.GetResultRequest;
import dev.skiff.proto.GetResultResponse;
import dev.skiff.proto.JarChunk;
import dev.skiff.proto.ListAppsRequest;
import dev.skiff.proto.ListAppsResponse;
import dev.skiff.proto.LogLine;
import dev.skiff.proto.LookupFunctionRequest;
import dev.skiff.proto.LookupFunctionResponse;
import dev.skiff.proto.MapRequest;
import dev.skiff.proto.MapResponse;
import dev.skiff.proto.Result;
import dev.skiff.proto.SpawnResponse;
import dev.skiff.proto.StopAppRequest;
import dev.skiff.proto.StopAppResponse;
import dev.skiff.proto.StopContainerRequest;
import dev.skiff.proto.StopContainerResponse;
import dev.skiff.proto.StreamLogsRequest;
import dev.skiff.proto.UndeployAppRequest;
import dev.skiff.proto.UndeployAppResponse;
import dev.skiff.proto.UpdateAutoscalerRequest;
import dev.skiff.proto.UpdateAutoscalerResponse;
import dev.skiff.proto.UploadJarResponse;
import dev.skiff.server.auth.Permissions;
import dev.skiff.server.auth.Principal;
import dev.skiff.server.calls.CallRegistry;
import dev.skiff.server.calls.SpawnedCall;
import dev.skiff.server.common.Bounds;
import dev.skiff.server.common.Statuses;
import dev.skiff.server.deploy.AppDefinitions;
import dev.skiff.server.deploy.CrossAppCalls;
import dev.skiff.server.deploy.Deployments;
import dev.skiff.server.files.VolumeStore;
import dev.skiff.server.image.ImageStore;
import dev.skiff.server.logs.LogFanout;
import dev.skiff.server.logs.LogSubscriber;
import dev.skiff.server.runtime.AppDirectory;
import dev.skiff.server.runtime.Container;
import dev.skiff.server.runtime.FunctionInputs;
import dev.skiff.server.runtime.Input;
import dev.skiff.server.runtime.RunningApp;
import dev.skiff.server.schedule.ScheduleRunner;
import dev.skiff.server.secrets.SecretEnvironments;
import dev.skiff.server.secrets.SecretStore;
import dev.skiff.server.store.StoredCall;
import dev.skiff.server.web.WebGateway;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The client API: what the SDK calls. Runs on gRPC transport threads with a direct executor, so no
 * method here blocks: calls that wait for results keep the response observer and complete it when
 * the result arrives (or a timer fires). Every failure is answered with a status whose description
 * says what was wrong. {@link Permissions} has already refused the RPCs a container token may not
 * call; here a container acts only on resources whose owner, looked up by the server, is its own
 * app, and every number a caller sends is checked against {@link Bounds}.
 */
public final class ClientService extends ClientApiGrpc.ClientApiImplBase {
  private final AppDirectory apps;
  private final CallRegistry calls;
  private final Optional<Deployments> deployments;
  private final CrossAppCalls crossApp;
  private final LogFanout logs;
  private final ScheduledExecutorService timer;
  private final ScheduleRunner schedules;
  private final WebGateway web;
  private final SecretStore secrets;
  private final VolumeStore volumes;

  private final ImageStore images;
  private final Map<String, Container> containers;

  public ClientService(
      AppDirectory apps,
      Map<String, Container> containers,
      LogFanout logs,
      ScheduledExecutorService timer,
      ScheduleRunner schedules,
      WebGateway web,
      ImageStore images,
      CallRegistry calls,
      Optional<Deployments> deployments,
      SecretStore secrets,
      VolumeStore volumes) {
    this.images = images;
    this.volumes = volumes;
    this.secrets = secrets;
    this.calls = calls;
    this.deployments = deployments;
    this.crossApp = new CrossAppCalls(apps, deployments);
    this.schedules = schedules;
    this.web = web;
    this.apps = apps;
    this.containers = containers;
    this.logs = logs;
    this.timer = timer;
  }

  // ------------------------------------------------------------------------------ apps

  @Override
  public void createApp(CreateAppRequest request, StreamObserver<CreateAppResponse> response) {
    Statuses.respond(
        response,
        () -> {
          if (!(Principal.current() instanceof Principal.Client)) {
            throw Statuses.denied("a container may not create apps");
          }
          AppDefinitions.check(apps, request);
          volumes.prepare(request.getAppName(), request.getFunctionsList());
          Map<String, Map<String, String>> secretEnv = SecretEnvironments.resolve(request, secrets);
          apps.refuseSecretsWithoutSandbox(request.getAppName(), secretEnv.keySet());
          apps.refuseBlockedNetworkWithoutSandbox(request.getAppName(), request.getFunctionsList());
          RunningApp app =
              apps.create(
                  request.getAppName(),
                  request.getFunctionsList(),
                  request.getClasspathList(),
                  Set.copyOf(request.getCallableAppsList()),
                  secretEnv,
                  AppDefinitions.images(images, request));
          return CreateAppResponse.newBuilder()
              .setAppId(app.spec().id())
              .putAllWebUrls(web.urls(app))
              .build();
        });
  }

  @Override
  public void stopApp(StopAppRequest request, StreamObserver<StopAppResponse> response) {
    Statuses.respond(
        response,
        () -> {
          authorize(request.getAppId());
          if (deployments.isPresent() && deployments.get().undeployById(request.getAppId())) {
            return StopAppResponse.getDefaultInstance();
          }
          if (!apps.stop(request.getAppId(), "app stopped")) {
            throw appNotFound(request.getAppId());
          }
          return StopAppResponse.getDefaultInstance();
        });
  }

  // ------------------------------------------------------------------------------ calls

  @Override
  public void call(CallRequest request, StreamObserver<Result> response) {
    ServerCallStreamObserver<Result> stream = (ServerCallStreamObserver<Result>) response;
    try {
      FunctionInputs function = resolve(request.getFunction(), false);
      Input input =
          function.newInput(
              request.getArgs(),
              result -> {
                try {
                  stream.onNext(result);
                  stream.onCompleted();
                } catch (RuntimeException e) {
                  // The caller went away meanwhile.
                }
              });
      stream.setOnCancelHandler(() -> function.cancel(input, "the caller cancelled the call"));
      function.submit(input);
    } catch (RuntimeException e) {
      response.onError(Statuses.of(e));
    }
  }

  @Override
  public StreamObserver<MapRequest> map(StreamObserver<MapResponse> response) {
    ServerCallStreamObserver<MapResponse> stream = (ServerCallStreamObserver<MapResponse>) response;
    MapStream map = new MapStream(ref -> resolve(ref, false), stream);
    map.start();
    return map;
  }

  @Override
  public void spawn(CallRequest request, StreamObserver<SpawnResponse> response) {
    FunctionInputs function;
    try {
      function = resolve(request.getFunction(), false);
    } catch (RuntimeException e) {
      response.onError(Statuses.of(e));
      return;
    }
    calls.spawn(
        function,
        request.getArgs(),
        id -> {
          try {
            response.onNext(SpawnResponse.newBuilder().setCallId(id).build());
            response.onCompleted();
          } catch (RuntimeException e) {
            // The caller went away meanwhile; the call runs anyway.
          }
        },
        e -> {
          try {
            response.onError(Statuses.of(e));
          } catch (RuntimeException ignored) {
            // The caller went away meanwhile.
          }
        });
  }

  @Override
  public void getResult(GetResultRequest request, StreamObserver<GetResultResponse> response) {
    ServerCallStreamObserver<GetResultResponse> stream =
        (ServerCallStreamObserver<GetResultResponse>) response;
    SpawnedCall call;
    try {
      Bounds.check("", "timeout_ms", request.getTimeoutMs(), 0, Bounds.MAX_DURATION_MS);
      Optional<SpawnedCall> live = calls.live(request.getCallId());
      if (live.isEmpty()) {
        answerStored(response, request.getCallId());
        return;
      }
      call = live.get();
      authorizeCall(call.appId());
    } catch (RuntimeException e) {
      response.onError(Statuses.of(e));
      return;
    }
    Optional<Result> result = call.result();
    if (result.isPresent() || request.getTimeoutMs() <= 0) {
      answer(stream, call, result);
      return;
    }
    AtomicBoolean answered = new AtomicBoolean();
    Runnable[] withdraw = {() -> {}};
    ScheduledFuture<?>[] deadline = {null};
    stream.setOnCancelHandler(
        () -> {
          answered.set(true);
          withdraw[0].run();
          if (deadline[0] != null) {
            deadline[0].cancel(false);
          }
        });
    // The timer is armed before the waiter so that a result arriving at once can cancel it.
    deadline[0] =
        timer.schedule(
            () -> {
              if (answered.compareAndSet(false, true)) {
                withdraw[0].run();
                answer(stream, call, Optional.empty());
              }
            },
            request.getTimeoutMs(),
            TimeUnit.MILLISECONDS);
    withdraw[0] =
        call.await(
            r -> {
              if (answered.compareAndSet(false, true)) {
                deadline[0].cancel(false);
                answer(stream, call, Optional.of(r));
              }
            });
  }

  /** Answers from the store: a call of an earlier run of the server, or one not known at all. */
  private void answerStored(StreamObserver<GetResultResponse> response, String callId) {
    if (Principal.current() instanceof Principal.Container) {
      throw notFoundCall(callId);
    }
    StoredCall stored = calls.stored(callId).orElseThrow(() -> notFoundCall(callId));
    GetResultResponse.Builder r = GetResultResponse.newBuilder();
    try {
      r.setFunction(FunctionDef.parseFrom(stored.definition()));
      if (stored.result().isPresent()) {
        r.setDone(true).setResult(Result.parseFrom(stored.result().get()));
      }
    } catch (InvalidProtocolBufferException e) {
      throw Statuses.failedPrecondition("the stored call '" + callId + "' is damaged: " + e);
    }
    response.onNext(r.build());
    response.onCompleted();
  }

  private static StatusRuntimeException notFoundCall(String callId) {
    return Statuses.notFound(
        "function call '"
            + callId
            + "' not found (unknown id, or its result is older than the"
            + " retention)");
  }

  private static void answer(
      StreamObserver<GetResultResponse> stream, SpawnedCall call, Optional<Result> result) {
    GetResultResponse.Builder r =
        GetResultResponse.newBuilder().setDone(result.isPresent()).setFunction(call.function.def());
    result.ifPresent(r::setResult);
    try {
      stream.onNext(r.build());
      stream.onCompleted();
    } catch (RuntimeException e) {
      // The caller went away meanwhile.
    }
  }

  @Override
  public void cancel(CancelRequest request, StreamObserver<CancelResponse> response) {
    Statuses.respond(
        response,
        () -> {
          SpawnedCall call = spawnedCall(request.getCallId());
          boolean cancelled =
              call.function.cancel(call.input, "function call " + call.id + " was cancelled");
          return CancelResponse.newBuilder().setCancelled(cancelled).build();
        });
  }

  @Override
  public StreamObserver<GenerateRequest> generate(StreamObserver<GenerateResponse> response) {
    ServerCallStreamObserver<GenerateResponse> stream =
        (ServerCallStreamObserver<GenerateResponse>) response;
    GenerateStream generate = new GenerateStream(ref -> resolve(ref, true), stream);
    generate.start();
    return generate;
  }

  // ------------------------------------------------------------------------------ logs

  @Override
  public void streamLogs(StreamLogsRequest request, StreamObserver<LogLine> response) {
    ServerCallStreamObserver<LogLine> stream = (ServerCallStreamObserver<LogLine>) response;
    String key;
    Optional<String> followApp;
    Optional<String> containerId =
        request.getContainerId().isEmpty()
            ? Optional.empty()
            : Optional.of(request.getContainerId());
    try {
      // A tail above the kept lines is harmless (the CLI asks for Integer.MAX_VALUE: all).
      Bounds.check("", "tail", request.getTail(), 0, Integer.MAX_VALUE);
      Bounds.check("", "since_ms", request.getSinceMs(), 0, Long.MAX_VALUE);
      if (containerId.isPresent()) {
        Optional<String> liveApp =
            Optional.ofNullable(containers.get(containerId.get()))
                .map(c -> c.function().app().id());
        Optional<String> kept = logs.keyOfContainer(containerId.get());
        if (liveApp.isEmpty() && kept.isEmpty()) {
          throw Statuses.notFound(
              "container '"
                  + containerId.get()
                  + "' not found: it is not running and no lines"
                  + " of it are kept");
        }
        // Who owns the container is looked up, never taken from the request: its app while it
        // runs, else the app (or deployed app name) under which its lines are kept.
        String owner = liveApp.map(logs::keyOfApp).orElseGet(kept::get);
        if (Principal.current() instanceof Principal.Container me
            && !owner.equals(logs.keyOfApp(me.appId()))) {
          throw Statuses.denied(
              "container "
                  + containerId.get()
                  + " is not one of app "
                  + me.appId()
                  + "; a container token may read the logs of its own app only");
        }
        if (!request.getAppId().isEmpty() && !owner.equals(logs.keyOfApp(request.getAppId()))) {
          throw Statuses.notFound(
              "container '"
                  + containerId.get()
                  + "' is not one of app '"
                  + request.getAppId()
                  + "'");
        }
        key = owner;
        followApp = liveApp;
      } else {
        String appId = request.getAppId();
        authorize(appId);
        if (apps.find(appId).isEmpty()) {
          throw appNotFound(appId);
        }
        key = logs.keyOfApp(appId);
        followApp = Optional.of(appId);
      }
    } catch (RuntimeException e) {
      response.onError(Statuses.of(e));
      return;
    }
    if (request.getKeptOnly()) {
      followApp = Optional.empty();
    }
    LogSubscriber subscriber = new LogSubscriber(stream);
    stream.setOnReadyHandler(subscriber::onReady);
    Optional<String> followed = followApp;
    stream.setOnCancelHandler(
        () -> {
          subscriber.cancelled();
          followed.ifPresent(id -> logs.unsubscribe(id, subscriber));
        });
    logs.attach(key, request.getTail(), request.getSinceMs(), containerId, followApp, subscriber);
    if (followApp.isPresent() && apps.find(followApp.get()).isEmpty()) {
      // Stopped meanwhile: its closeApp may have missed us.
      logs.unsubscribe(followApp.get(), subscriber);
      subscriber.completeAfterBuffered();
    }
  }

  @Override
  public void stopContainer(
      StopContainerRequest request, StreamObserver<StopContainerResponse> response) {
    Statuses.respond(
        response,
        () -> {
          String id = request.getContainerId();
          Container c = containers.get(id);
          if (c == null) {
            throw Statuses.notFound("container '" + id + "' not found (it may have stopped)");
          }
          authorize(c.function().app().id());
          if (!c.function().stopContainer(c)) {
            throw Statuses.notFound("container '" + id + "' not found (it may have stopped)");
          }
          return StopContainerResponse.newBuilder()
              .setAppId(c.function().app().id())
              .setFunctionName(c.function().name())
              .build();
        });
  }

  // ------------------------------------------------------------------------------ scaling

  @Override
  public void updateAutoscaler(
      UpdateAutoscalerRequest request, StreamObserver<UpdateAutoscalerResponse> response) {
    Statuses.respond(
        response,
        () -> {
          FunctionInputs function = resolve(request.getFunction());
          AutoscalerSettings a = request.getSettings();
          String fn = "function '" + function.name() + "': updateAutoscaler: ";
          Bounds.check(fn, "min_containers", a.getMinContainers(), 0, Bounds.MAX_CONTAINERS);
          Bounds.check(fn, "max_containers", a.getMaxContainers(), 1, Bounds.MAX_CONTAINERS);
          Bounds.check(fn, "buffer_containers", a.getBufferContainers(), 0, Bounds.MAX_CONTAINERS);
          Bounds.check(
              fn, "scaledown_window_ms", a.getScaledownWindowMs(), 1, Bounds.MAX_DURATION_MS);
          if (a.getMaxContainers() < Math.max(1, a.getMinContainers())) {
            throw Statuses.invalid(
                fn
                    + "max_containers is "
                    + a.getMaxContainers()
                    + "; must be >= 1 and >= min_containers ("
                    + a.getMinContainers()
                    + ")");
          }
          function.updateAutoscaler(
              a.getMinContainers(),
              a.getMaxContainers(),
              a.getBufferContainers(),
              Duration.ofMillis(a.getScaledownWindowMs()));
          return UpdateAutoscalerResponse.getDefaultInstance();
        });
  }

  @Override
  public void getAppStatus(AppStatusRequest request, StreamObserver<AppStatus> response) {
    Statuses.respond(
        response,
        () -> {
          authorize(request.getAppId());
          RunningApp app =
              apps.find(request.getAppId()).orElseThrow(() -> appNotFound(request.getAppId()));
          AppStatus.Builder status = AppStatus.newBuilder();
          app.functions().values().stream()
              .sorted(Comparator.comparing(FunctionInputs::name))
              .forEach(f -> status.addFunctions(f.status()));
          return status.build();
        });
  }

  @Override
  public void getAppHistory(AppHistoryRequest request, StreamObserver<AppHistory> response) {
    Statuses.respond(
        response,
        () -> {
          authorize(request.getAppId());
          if (apps.find(request.getAppId()).isEmpty()) {
            throw appNotFound(request.getAppId());
          }
          return deployments
              .flatMap(d -> d.history(request.getAppId()))
              .orElseGet(() -> schedules.history(request.getAppId()));
        });
  }

  // ------------------------------------------------------------------------------ lookups

  /** The function a request names, if the caller may use it and it is (not) a generator. */
  private FunctionInputs resolve(FunctionRef ref, boolean generator) {
    FunctionInputs function = resolve(ref);
    if (function.def().getGenerator() != generator) {
      throw Statuses.invalid(
          generator
              ? "function '" + function.name() + "' is not a generator; call it with remote()"
              : "function '" + function.name() + "' is a generator; call it with remoteGen()");
    }
    return function;
  }

  /** The function (or generator) a request names, if the caller may use it. */
  private FunctionInputs resolve(FunctionRef ref) {
    if ((ref.getAppId().isEmpty() && ref.getAppName().isEmpty())
        || ref.getFunctionName().isEmpty()) {
      throw Statuses.invalid(
          "the request names no function (app_id or app_name, and function_name are required)");
    }
    RunningApp app;
    if (ref.getAppId().isEmpty()) {
      app = deployed().current(ref.getAppName());
      authorizeCall(app.spec().id());
    } else {
      authorizeCall(ref.getAppId());
      app = apps.find(ref.getAppId()).orElseThrow(() -> appNotFound(ref.getAppId()));
    }
    FunctionInputs function =
        app.function(ref.getFunctionName())
            .orElseThrow(
                () ->
                    Statuses.notFound(
                        "function '"
                            + ref.getFunctionName()
                            + "' not found in app '"
                            + app.spec().name()
                            + "' ("
                            + app.spec().id()
                            + ")"));
    return function;
  }

  private SpawnedCall spawnedCall(String callId) {
    SpawnedCall call = calls.live(callId).orElse(null);
    if (call == null) {
      if (calls.stored(callId).isPresent()) {
        throw Statuses.failedPrecondition(
            "function call '"
                + callId
                + "' finished before the server restarted; it cannot be"
                + " cancelled");
      }
      throw notFoundCall(callId);
    }
    authorizeCall(call.appId());
    return call;
  }

  // ------------------------------------------------------------------------------ deployed apps

  private Deployments deployed() {
    return deployments.orElseThrow(
        () ->
            Statuses.failedPrecondition(
                "this control plane is embedded in a program and keeps no deployed apps; deploy"
                    + " to a long-running server (skiff server) and point SKIFF_SERVER or"
                    + " ~/.skiff/config.json at it"));
  }

  private static void clientOnly(String what) {
    if (!(Principal.current() instanceof Principal.Client)) {
      throw Statuses.denied("a container may not " + what);
    }
  }

  @Override
  public void findMissingJars(
      FindMissingJarsRequest request, StreamObserver<FindMissingJarsResponse> response) {
    Statuses.respond(
        response,
        () -> {
          clientOnly("deploy apps");
          return FindMissingJarsResponse.newBuilder()
              .addAllMissing(deployed().missing(request.getSha256List()))
              .build();
        });
  }

  @Override
  public StreamObserver<JarChunk> uploadJar(StreamObserver<UploadJarResponse> response) {
    try {
      clientOnly("deploy apps");
      return deployed().upload(response);
    } catch (RuntimeException e) {
      response.onError(Statuses.of(e));
      return new StreamObserver<>() {
        @Override
        public void onNext(JarChunk value) {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      };
    }
  }

  @Override
  public void deployApp(DeployAppRequest request, StreamObserver<DeployAppResponse> response) {
    // Deploying starts an app and waits for the store: not on a transport thread.
    Context context = Context.current();
    Thread.ofVirtual()
        .name("skiff-deploy")
        .start(
            context.wrap(
                () ->
                    Statuses.respond(
                        response,
                        () -> {
                          clientOnly("deploy apps");
                          return deployed().deploy(request);
                        })));
  }

  @Override
  public void undeployApp(
      UndeployAppRequest request, StreamObserver<UndeployAppResponse> response) {
    Context context = Context.current();
    Thread.ofVirtual()
        .name("skiff-undeploy")
        .start(
            context.wrap(
                () ->
                    Statuses.respond(
                        response,
                        () -> {
                          clientOnly("undeploy apps");
                          deployed().undeploy(request.getAppName());
                          return UndeployAppResponse.getDefaultInstance();
                        })));
  }

  @Override
  public void listApps(ListAppsRequest request, StreamObserver<ListAppsResponse> response) {
    Statuses.respond(
        response,
        () -> {
          clientOnly("list apps");
          ListAppsResponse.Builder b = ListAppsResponse.newBuilder();
          if (deployments.isPresent()) {
            b.addAllApps(deployments.get().list());
          } else {
            apps.all()
                .forEach(
                    a ->
                        b.addApps(
                            AppSummary.newBuilder()
                                .setAppId(a.spec().id())
                                .setAppName(a.spec().name())
                                .setState(AppState.APP_EPHEMERAL)
                                .addAllFunctionNames(
                                    a.functions().keySet().stream().sorted().toList())));
          }
          return b.build();
        });
  }

  @Override
  public void lookupFunction(
      LookupFunctionRequest request, StreamObserver<LookupFunctionResponse> response) {
    Statuses.respond(
        response,
        () -> {
          RunningApp app = deployed().current(request.getAppName());
          authorizeCall(app.spec().id());
          FunctionInputs f =
              app.function(request.getFunctionName())
                  .orElseThrow(
                      () ->
                          Statuses.notFound(
                              "function '"
                                  + request.getFunctionName()
                                  + "' not found in deployed app '"
                                  + request.getAppName()
                                  + "' (its functions: "
                                  + String.join(
                                      ", ", app.functions().keySet().stream().sorted().toList())
                                  + ")"));
          return LookupFunctionResponse.newBuilder()
              .setAppId(app.spec().id())
              .setFunction(f.def())
              .build();
        });
  }

  /**
   * Like {@link #authorize}, for calling a function and following its calls: a container may also
   * use a deployed app whose name its own app lists in {@code callable_apps} ({@code App.canCall}).
   */
  private void authorizeCall(String appId) {
    if (Principal.current() instanceof Principal.Container c && !c.appId().equals(appId)) {
      Optional<String> target = crossApp.deployedName(appId);
      if (!crossApp.allows(c.appId(), appId)) {
        throw Statuses.denied(
            "a container of app "
                + c.appId()
                + " may not use app "
                + appId
                + target.map(n -> " ('" + n + "')").orElse("")
                + "; "
                + Permissions.CONTAINER_MAY
                + ", or the functions of the deployed apps its app names with App.canCall");
      }
    }
  }

  /**
   * A container may act on its own app only. {@code appId} must be the owner of the resource the
   * call acts on, as looked up by the server, never an id taken from the request alone.
   */
  private static void authorize(String appId) {
    if (Principal.current() instanceof Principal.Container c && !c.appId().equals(appId)) {
      throw Statuses.denied(
          "a container of app "
              + c.appId()
              + " may not use app "
              + appId
              + "; "
              + Permissions.CONTAINER_MAY);
    }
  }

  private static StatusRuntimeException appNotFound(String appId) {
    return Statuses.notFound("app '" + appId + "' not found (it may have been stopped)");
  }
}
