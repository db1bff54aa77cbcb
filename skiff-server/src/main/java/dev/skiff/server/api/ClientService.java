package dev.skiff.server.api;

import dev.skiff.proto.AppHistory;
import dev.skiff.proto.AppHistoryRequest;
import dev.skiff.proto.AppStatus;
import dev.skiff.proto.AppStatusRequest;
import dev.skiff.proto.CallRequest;
import dev.skiff.proto.CancelRequest;
import dev.skiff.proto.CancelResponse;
import dev.skiff.proto.ClientApiGrpc;
import dev.skiff.proto.ClusterStatus;
import dev.skiff.proto.ClusterStatusRequest;
import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.CreateAppResponse;
import dev.skiff.proto.DeployAppRequest;
import dev.skiff.proto.DeployAppResponse;
import dev.skiff.proto.FindMissingJarsRequest;
import dev.skiff.proto.FindMissingJarsResponse;
import dev.skiff.proto.FunctionRef;
import dev.skiff.proto.FunctionStats;
import dev.skiff.proto.GenerateRequest;
import dev.skiff.proto.GenerateResponse;
import dev.skiff.proto.GetResultRequest;
import dev.skiff.proto.GetResultResponse;
import dev.skiff.proto.JarChunk;
import dev.skiff.proto.ListAppsRequest;
import dev.skiff.proto.ListAppsResponse;
import dev.skiff.proto.ListCallsRequest;
import dev.skiff.proto.ListCallsResponse;
import dev.skiff.proto.LogLine;
import dev.skiff.proto.LookupFunctionRequest;
import dev.skiff.proto.LookupFunctionResponse;
import dev.skiff.proto.MapRequest;
import dev.skiff.proto.MapResponse;
import dev.skiff.proto.RenewAppLeaseRequest;
import dev.skiff.proto.RenewAppLeaseResponse;
import dev.skiff.proto.Result;
import dev.skiff.proto.SpawnManyRequest;
import dev.skiff.proto.SpawnManyResponse;
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
import dev.skiff.server.activity.Activity;
import dev.skiff.server.auth.Permissions;
import dev.skiff.server.calls.CallRegistry;
import dev.skiff.server.common.Bounds;
import dev.skiff.server.common.Statuses;
import dev.skiff.server.deploy.Deployments;
import dev.skiff.server.files.VolumeStore;
import dev.skiff.server.image.ImageStore;
import dev.skiff.server.logs.LogFanout;
import dev.skiff.server.runtime.AppDirectory;
import dev.skiff.server.runtime.AppLeases;
import dev.skiff.server.runtime.Container;
import dev.skiff.server.schedule.ScheduleRunner;
import dev.skiff.server.secrets.SecretStore;
import dev.skiff.server.web.WebGateway;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * The client API, what the SDK calls: one gRPC service on the wire, whose RPCs each go to the class
 * of their area: {@link AppsApi}, {@link CallsApi}, {@link LogsApi}, {@link ContainersApi} and
 * {@link DeploymentsApi}, which share {@link Access} (who may act on which app, which function a
 * request names). Calls, map and generate run on gRPC transport threads with a direct executor, so
 * they never block: calls that wait for results keep the response observer and complete it when the
 * result arrives (or a timer fires); the other RPCs, which may wait for the store, run on virtual
 * threads ({@link BlockingHandlers}), and deploying runs on a thread of its own. Every failure is
 * answered with a status whose description says what was wrong. {@link Permissions} has already
 * refused the RPCs a container token may not call; the areas let a container act only on resources
 * whose owner, looked up by the server, is its own app, and check every number a caller sends
 * against {@link Bounds}.
 */
public final class ClientService extends ClientApiGrpc.ClientApiImplBase {
  private final AppsApi apps;
  private final Activity activity;
  private final CallsApi calls;
  private final LogsApi logs;
  private final ContainersApi containers;
  private final DeploymentsApi deployments;
  private final Supplier<ClusterStatus> cluster;

  /**
   * The client API over the control plane's parts; {@code deployments} is empty when embedded, and
   * so is {@code leases} (ephemeral apps then hold no lease).
   */
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
      VolumeStore volumes,
      Optional<AppLeases> leases,
      Supplier<ClusterStatus> cluster,
      Activity activity) {
    Access access = new Access(apps, deployments);
    this.cluster = cluster;
    this.activity = activity;
    this.apps =
        new AppsApi(apps, deployments, schedules, web, images, secrets, volumes, access, leases);
    this.calls = new CallsApi(calls, timer, access);
    this.logs = new LogsApi(apps, containers, logs);
    this.containers = new ContainersApi(containers, access, deployments);
    this.deployments = new DeploymentsApi(access);
  }

  @Override
  public void createApp(CreateAppRequest request, StreamObserver<CreateAppResponse> response) {
    apps.createApp(request, response);
  }

  @Override
  public void stopApp(StopAppRequest request, StreamObserver<StopAppResponse> response) {
    apps.stopApp(request, response);
  }

  @Override
  public void renewAppLease(
      RenewAppLeaseRequest request, StreamObserver<RenewAppLeaseResponse> response) {
    apps.renewAppLease(request, response);
  }

  @Override
  public void getAppStatus(AppStatusRequest request, StreamObserver<AppStatus> response) {
    apps.getAppStatus(request, response);
  }

  @Override
  public void getAppHistory(AppHistoryRequest request, StreamObserver<AppHistory> response) {
    apps.getAppHistory(request, response);
  }

  @Override
  public void listCalls(ListCallsRequest request, StreamObserver<ListCallsResponse> response) {
    Statuses.respond(
        response,
        () -> {
          Access.clientOnly("list calls");
          int limit = request.getLimit() == 0 ? 100 : request.getLimit();
          if (limit < 1 || limit > Activity.MAX_LIMIT) {
            throw Statuses.invalid(
                "limit " + limit + " is out of range; allowed are 1.." + Activity.MAX_LIMIT);
          }
          ListCallsResponse.Builder b = ListCallsResponse.newBuilder();
          if (!request.getCallId().isEmpty()) {
            activity
                .find(request.getCallId())
                .filter(
                    c -> request.getAppId().isEmpty() || c.getAppId().equals(request.getAppId()))
                .ifPresent(b::addCalls);
          } else {
            b.addAllCalls(activity.recent(request.getAppId(), request.getFunctionName(), limit));
          }
          return b.build();
        });
  }

  @Override
  public void getFunctionStats(FunctionRef request, StreamObserver<FunctionStats> response) {
    Statuses.respond(
        response,
        () -> {
          Access.clientOnly("read a function's statistics");
          return FunctionStats.newBuilder()
              .addAllMinutes(
                  activity
                      .lastHour(request.getAppId(), request.getFunctionName())
                      .orElseThrow(
                          () ->
                              Statuses.notFound(
                                  "no function '"
                                      + request.getFunctionName()
                                      + "' runs in app "
                                      + request.getAppId())))
              .build();
        });
  }

  @Override
  public void getClusterStatus(
      ClusterStatusRequest request, StreamObserver<ClusterStatus> response) {
    Statuses.respond(
        response,
        () -> {
          Access.clientOnly("read the cluster status");
          return cluster.get();
        });
  }

  @Override
  public void listApps(ListAppsRequest request, StreamObserver<ListAppsResponse> response) {
    apps.listApps(request, response);
  }

  @Override
  public void lookupFunction(
      LookupFunctionRequest request, StreamObserver<LookupFunctionResponse> response) {
    apps.lookupFunction(request, response);
  }

  @Override
  public void call(CallRequest request, StreamObserver<Result> response) {
    calls.call(request, response);
  }

  @Override
  public StreamObserver<MapRequest> map(StreamObserver<MapResponse> response) {
    return calls.map(response);
  }

  @Override
  public void spawn(CallRequest request, StreamObserver<SpawnResponse> response) {
    calls.spawn(request, response);
  }

  @Override
  public void spawnMany(SpawnManyRequest request, StreamObserver<SpawnManyResponse> response) {
    calls.spawnMany(request, response);
  }

  @Override
  public void getResult(GetResultRequest request, StreamObserver<GetResultResponse> response) {
    calls.getResult(request, response);
  }

  @Override
  public void cancel(CancelRequest request, StreamObserver<CancelResponse> response) {
    calls.cancel(request, response);
  }

  @Override
  public StreamObserver<GenerateRequest> generate(StreamObserver<GenerateResponse> response) {
    return calls.generate(response);
  }

  @Override
  public void streamLogs(StreamLogsRequest request, StreamObserver<LogLine> response) {
    logs.streamLogs(request, response);
  }

  @Override
  public void stopContainer(
      StopContainerRequest request, StreamObserver<StopContainerResponse> response) {
    containers.stopContainer(request, response);
  }

  @Override
  public void updateAutoscaler(
      UpdateAutoscalerRequest request, StreamObserver<UpdateAutoscalerResponse> response) {
    containers.updateAutoscaler(request, response);
  }

  @Override
  public void findMissingJars(
      FindMissingJarsRequest request, StreamObserver<FindMissingJarsResponse> response) {
    deployments.findMissingJars(request, response);
  }

  @Override
  public StreamObserver<JarChunk> uploadJar(StreamObserver<UploadJarResponse> response) {
    return deployments.uploadJar(response);
  }

  @Override
  public void deployApp(DeployAppRequest request, StreamObserver<DeployAppResponse> response) {
    deployments.deployApp(request, response);
  }

  @Override
  public void undeployApp(
      UndeployAppRequest request, StreamObserver<UndeployAppResponse> response) {
    deployments.undeployApp(request, response);
  }
}
