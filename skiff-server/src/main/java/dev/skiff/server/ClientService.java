package dev.skiff.server;

import dev.skiff.proto.AppHistory;
import dev.skiff.proto.AppHistoryRequest;
import dev.skiff.proto.AppStatus;
import dev.skiff.proto.AppStatusRequest;
import dev.skiff.proto.AutoscalerSettings;
import dev.skiff.proto.CallRequest;
import dev.skiff.proto.CancelRequest;
import dev.skiff.proto.CancelResponse;
import dev.skiff.proto.ClientApiGrpc;
import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.CreateAppResponse;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.FunctionRef;
import dev.skiff.proto.GenerateRequest;
import dev.skiff.proto.GenerateResponse;
import dev.skiff.proto.GetResultRequest;
import dev.skiff.proto.GetResultResponse;
import dev.skiff.proto.LogLine;
import dev.skiff.proto.MapRequest;
import dev.skiff.proto.MapResponse;
import dev.skiff.proto.Result;
import dev.skiff.proto.RetryPolicy;
import dev.skiff.proto.SpawnResponse;
import dev.skiff.proto.StopAppRequest;
import dev.skiff.proto.StopAppResponse;
import dev.skiff.proto.StreamLogsRequest;
import dev.skiff.proto.UpdateAutoscalerRequest;
import dev.skiff.proto.UpdateAutoscalerResponse;
import dev.skiff.server.secrets.SecretStore;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The client API: what the SDK calls. Runs on gRPC transport threads with a direct executor, so no
 * method here blocks: calls that wait for results keep the response observer and complete it when
 * the result arrives (or a timer fires). Every failure is answered with a status whose description
 * says what was wrong. A container's token works here only for its own app.
 */
final class ClientService extends ClientApiGrpc.ClientApiImplBase {
  private final AppDirectory apps;
  private final ConcurrentHashMap<String, SpawnedCall> calls = new ConcurrentHashMap<>();
  private final LogFanout logs;
  private final ScheduledExecutorService timer;
  private final ScheduleRunner schedules;
  private final WebGateway web;
  private final SecretStore secrets;

  ClientService(
      AppDirectory apps,
      LogFanout logs,
      ScheduledExecutorService timer,
      ScheduleRunner schedules,
      WebGateway web,
      SecretStore secrets) {
    this.secrets = secrets;
    this.schedules = schedules;
    this.web = web;
    this.apps = apps;
    this.logs = logs;
    this.timer = timer;
  }

  // ------------------------------------------------------------------------------ apps

  @Override
  public void createApp(CreateAppRequest request, StreamObserver<CreateAppResponse> response) {
    respond(
        response,
        () -> {
          if (!(Principal.current() instanceof Principal.Client)) {
            throw Statuses.denied("a container may not create apps");
          }
          validate(request);
          for (FunctionDef f : request.getFunctionsList()) {
            apps.capacity()
                .neverFits(ResourceRequest.of(f))
                .ifPresent(
                    why -> {
                      throw Statuses.invalid(
                          "function '"
                              + f.getName()
                              + "' of app '"
                              + request.getAppName()
                              + "' can never be placed: "
                              + why);
                    });
          }
          RunningApp app =
              apps.create(
                  request.getAppName(),
                  request.getFunctionsList(),
                  request.getClasspathList(),
                  SecretEnvironments.resolve(request, secrets));
          return CreateAppResponse.newBuilder()
              .setAppId(app.spec().id())
              .putAllWebUrls(web.urls(app))
              .build();
        });
  }

  @Override
  public void stopApp(StopAppRequest request, StreamObserver<StopAppResponse> response) {
    respond(
        response,
        () -> {
          authorize(request.getAppId());
          if (!apps.stop(request.getAppId(), "app stopped")) {
            throw appNotFound(request.getAppId());
          }
          return StopAppResponse.getDefaultInstance();
        });
  }

  /** Checks an app definition; throws INVALID_ARGUMENT naming the first problem. */
  static void validate(CreateAppRequest request) {
    if (request.getAppName().isBlank()) {
      throw Statuses.invalid("app_name is empty");
    }
    if (request.getFunctionsCount() > 0 && request.getClasspathCount() == 0) {
      throw Statuses.invalid(
          "app '" + request.getAppName() + "': the classpath is empty; containers need one");
    }
    Set<String> names = new HashSet<>();
    for (FunctionDef f : request.getFunctionsList()) {
      String fn = "function '" + f.getName() + "' of app '" + request.getAppName() + "': ";
      if (f.getName().isBlank()) {
        throw Statuses.invalid("app '" + request.getAppName() + "' has a function with no name");
      }
      if (!names.add(f.getName())) {
        throw Statuses.invalid(
            "app '" + request.getAppName() + "' defines function '" + f.getName() + "' twice");
      }
      if (f.getClassName().isBlank() || f.getMethodName().isBlank()) {
        throw Statuses.invalid(fn + "class_name and method_name must be set");
      }
      requireNonNegative(fn, "concurrent_inputs", f.getConcurrentInputs());
      requireNonNegative(fn, "min_containers", f.getMinContainers());
      requireNonNegative(fn, "max_containers", f.getMaxContainers());
      requireNonNegative(fn, "scaledown_window_ms", f.getScaledownWindowMs());
      requireNonNegative(fn, "timeout_ms", f.getTimeoutMs());
      requireNonNegative(fn, "startup_timeout_ms", f.getStartupTimeoutMs());
      requireNonNegative(fn, "target_inputs", f.getTargetInputs());
      requireNonNegative(fn, "buffer_containers", f.getBufferContainers());
      validateResources(fn, f);
      if (f.getTargetInputs() > Math.max(1, f.getConcurrentInputs())) {
        throw Statuses.invalid(
            fn
                + "target_inputs ("
                + f.getTargetInputs()
                + ") is more than concurrent_inputs ("
                + Math.max(1, f.getConcurrentInputs())
                + ")");
      }
      if (f.getMaxContainers() > 0 && f.getMinContainers() > f.getMaxContainers()) {
        throw Statuses.invalid(
            fn
                + "min_containers ("
                + f.getMinContainers()
                + ") is more than max_containers ("
                + f.getMaxContainers()
                + ")");
      }
      RetryPolicy r = f.getRetries();
      requireNonNegative(fn, "retries.max_retries", r.getMaxRetries());
      requireNonNegative(fn, "retries.initial_delay_ms", r.getInitialDelayMs());
      requireNonNegative(fn, "retries.max_delay_ms", r.getMaxDelayMs());
      if (r.getBackoffCoefficient() < 0 || Double.isNaN(r.getBackoffCoefficient())) {
        throw Statuses.invalid(
            fn + "retries.backoff_coefficient is " + r.getBackoffCoefficient() + "; must be >= 1");
      }
      if (f.getGenerator() && r.getMaxRetries() > 0) {
        throw Statuses.invalid(fn + "retries are not supported for generators");
      }
    }
    ScheduleRunner.validate(request);
    WebGateway.validate(request);
  }

  private static void validateResources(String fn, FunctionDef f) {
    double cpu = f.getCpuRequest();
    double cpuLimit = f.getCpuLimit();
    if (!(cpu >= 0) || Double.isInfinite(cpu) || !(cpuLimit >= 0) || Double.isInfinite(cpuLimit)) {
      throw Statuses.invalid(
          fn + "cpu_request and cpu_limit must be finite and >= 0; were " + cpu + ", " + cpuLimit);
    }
    if (cpuLimit > 0 && cpuLimit < cpu) {
      throw Statuses.invalid(
          fn + "cpu_limit (" + cpuLimit + ") is less than cpu_request (" + cpu + ")");
    }
    requireNonNegative(fn, "memory_request_mib", f.getMemoryRequestMib());
    requireNonNegative(fn, "memory_limit_mib", f.getMemoryLimitMib());
    if (f.getMemoryLimitMib() > 0 && f.getMemoryLimitMib() < f.getMemoryRequestMib()) {
      throw Statuses.invalid(
          fn
              + "memory_limit_mib ("
              + f.getMemoryLimitMib()
              + ") is less than memory_request_mib ("
              + f.getMemoryRequestMib()
              + ")");
    }
    for (String g : f.getGpusList()) {
      if (!g.matches("[A-Za-z0-9][A-Za-z0-9\\-]*(:[1-8])?")) {
        throw Statuses.invalid(fn + "gpu '" + g + "' is not TYPE or TYPE:COUNT (COUNT 1..8)");
      }
    }
    for (String r : f.getRegionsList()) {
      if (!r.matches("[a-z0-9][a-z0-9\\-]*")) {
        throw Statuses.invalid(fn + "region '" + r + "' is not a name of [a-z0-9-]");
      }
    }
  }

  private static void requireNonNegative(String prefix, String field, long value) {
    if (value < 0) {
      throw Statuses.invalid(prefix + field + " is " + value + "; must be >= 0");
    }
  }

  // ------------------------------------------------------------------------------ calls

  @Override
  public void call(CallRequest request, StreamObserver<Result> response) {
    ServerCallStreamObserver<Result> stream = (ServerCallStreamObserver<Result>) response;
    try {
      FunctionScheduler function = resolve(request.getFunction(), false);
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
    respond(
        response,
        () -> {
          FunctionScheduler function = resolve(request.getFunction(), false);
          SpawnedCall call;
          do {
            call = SpawnedCall.create(RandomIds.callId(), function, request.getArgs());
          } while (calls.putIfAbsent(call.id, call) != null);
          function.submit(call.input);
          return SpawnResponse.newBuilder().setCallId(call.id).build();
        });
  }

  @Override
  public void getResult(GetResultRequest request, StreamObserver<GetResultResponse> response) {
    ServerCallStreamObserver<GetResultResponse> stream =
        (ServerCallStreamObserver<GetResultResponse>) response;
    SpawnedCall call;
    try {
      call = spawnedCall(request.getCallId());
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
    respond(
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
    String appId = request.getAppId();
    try {
      authorize(appId);
      if (apps.find(appId).isEmpty()) {
        throw appNotFound(appId);
      }
    } catch (RuntimeException e) {
      response.onError(Statuses.of(e));
      return;
    }
    LogSubscriber subscriber = new LogSubscriber(stream);
    stream.setOnReadyHandler(subscriber::onReady);
    stream.setOnCancelHandler(
        () -> {
          subscriber.cancelled();
          logs.unsubscribe(appId, subscriber);
        });
    logs.subscribe(appId, subscriber);
    if (apps.find(appId).isEmpty()) { // stopped meanwhile: its closeApp may have missed us
      logs.unsubscribe(appId, subscriber);
      subscriber.complete();
    }
  }

  // ------------------------------------------------------------------------------ scaling

  @Override
  public void updateAutoscaler(
      UpdateAutoscalerRequest request, StreamObserver<UpdateAutoscalerResponse> response) {
    respond(
        response,
        () -> {
          FunctionScheduler function = resolve(request.getFunction());
          AutoscalerSettings a = request.getSettings();
          String fn = "function '" + function.name() + "': updateAutoscaler: ";
          requireNonNegative(fn, "min_containers", a.getMinContainers());
          requireNonNegative(fn, "buffer_containers", a.getBufferContainers());
          if (a.getMaxContainers() < Math.max(1, a.getMinContainers())) {
            throw Statuses.invalid(
                fn
                    + "max_containers is "
                    + a.getMaxContainers()
                    + "; must be >= 1 and >= min_containers ("
                    + a.getMinContainers()
                    + ")");
          }
          if (a.getScaledownWindowMs() <= 0) {
            throw Statuses.invalid(
                fn + "scaledown_window_ms is " + a.getScaledownWindowMs() + "; must be > 0");
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
    respond(
        response,
        () -> {
          authorize(request.getAppId());
          RunningApp app =
              apps.find(request.getAppId()).orElseThrow(() -> appNotFound(request.getAppId()));
          AppStatus.Builder status = AppStatus.newBuilder();
          app.functions().values().stream()
              .sorted(Comparator.comparing(FunctionScheduler::name))
              .forEach(f -> status.addFunctions(f.status()));
          return status.build();
        });
  }

  @Override
  public void getAppHistory(AppHistoryRequest request, StreamObserver<AppHistory> response) {
    respond(
        response,
        () -> {
          authorize(request.getAppId());
          apps.find(request.getAppId()).orElseThrow(() -> appNotFound(request.getAppId()));
          return schedules.history(request.getAppId());
        });
  }

  // ------------------------------------------------------------------------------ lookups

  /** The function a request names, if the caller may use it and it is (not) a generator. */
  private FunctionScheduler resolve(FunctionRef ref, boolean generator) {
    FunctionScheduler function = resolve(ref);
    if (function.def().getGenerator() != generator) {
      throw Statuses.invalid(
          generator
              ? "function '" + function.name() + "' is not a generator; call it with remote()"
              : "function '" + function.name() + "' is a generator; call it with remoteGen()");
    }
    return function;
  }

  /** The function (or generator) a request names, if the caller may use it. */
  private FunctionScheduler resolve(FunctionRef ref) {
    if (ref.getAppId().isEmpty() || ref.getFunctionName().isEmpty()) {
      throw Statuses.invalid(
          "the request names no function (app_id and function_name are required)");
    }
    authorize(ref.getAppId());
    RunningApp app = apps.find(ref.getAppId()).orElseThrow(() -> appNotFound(ref.getAppId()));
    FunctionScheduler function =
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
    SpawnedCall call = calls.get(callId);
    if (call == null) {
      throw Statuses.notFound("function call '" + callId + "' not found");
    }
    authorize(call.appId());
    return call;
  }

  /** A container may act on its own app only. */
  private static void authorize(String appId) {
    if (Principal.current() instanceof Principal.Container c && !c.appId().equals(appId)) {
      throw Statuses.denied(
          "container " + c.containerId() + " of app " + c.appId() + " may not use app " + appId);
    }
  }

  private static StatusRuntimeException appNotFound(String appId) {
    return Statuses.notFound("app '" + appId + "' not found (it may have been stopped)");
  }

  private static <T> void respond(StreamObserver<T> response, Supplier<T> body) {
    T value;
    try {
      value = body.get();
    } catch (RuntimeException e) {
      response.onError(Statuses.of(e));
      return;
    }
    response.onNext(value);
    response.onCompleted();
  }
}
