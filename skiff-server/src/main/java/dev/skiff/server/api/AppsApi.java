package dev.skiff.server.api;

import static dev.skiff.server.api.Access.appNotFound;
import static dev.skiff.server.api.Access.authorize;
import static dev.skiff.server.api.Access.clientOnly;

import dev.skiff.proto.AppHistory;
import dev.skiff.proto.AppHistoryRequest;
import dev.skiff.proto.AppState;
import dev.skiff.proto.AppStatus;
import dev.skiff.proto.AppStatusRequest;
import dev.skiff.proto.AppSummary;
import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.CreateAppResponse;
import dev.skiff.proto.FunctionRef;
import dev.skiff.proto.ListAppsRequest;
import dev.skiff.proto.ListAppsResponse;
import dev.skiff.proto.LookupFunctionRequest;
import dev.skiff.proto.LookupFunctionResponse;
import dev.skiff.proto.RenewAppLeaseRequest;
import dev.skiff.proto.RenewAppLeaseResponse;
import dev.skiff.proto.StopAppRequest;
import dev.skiff.proto.StopAppResponse;
import dev.skiff.server.auth.Principal;
import dev.skiff.server.common.Statuses;
import dev.skiff.server.deploy.AppDefinitions;
import dev.skiff.server.deploy.Deployments;
import dev.skiff.server.files.VolumeStore;
import dev.skiff.server.image.ImageStore;
import dev.skiff.server.runtime.AppClasspath;
import dev.skiff.server.runtime.AppDirectory;
import dev.skiff.server.runtime.AppLeases;
import dev.skiff.server.runtime.FunctionInputs;
import dev.skiff.server.runtime.RunningApp;
import dev.skiff.server.schedule.ScheduleRunner;
import dev.skiff.server.secrets.SecretEnvironments;
import dev.skiff.server.secrets.SecretStore;
import dev.skiff.server.web.WebGateway;
import io.grpc.stub.StreamObserver;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The client API's apps: create and stop an ephemeral app and renew its lease, its status and the
 * history of its scheduled runs, the list of apps, and looking up a function of a deployed app by
 * name.
 */
final class AppsApi {
  private final AppDirectory apps;
  private final Optional<Deployments> deployments;
  private final ScheduleRunner schedules;
  private final WebGateway web;
  private final ImageStore images;
  private final SecretStore secrets;
  private final VolumeStore volumes;
  private final Access access;
  private final Optional<AppLeases> leases;

  AppsApi(
      AppDirectory apps,
      Optional<Deployments> deployments,
      ScheduleRunner schedules,
      WebGateway web,
      ImageStore images,
      SecretStore secrets,
      VolumeStore volumes,
      Access access,
      Optional<AppLeases> leases) {
    this.apps = apps;
    this.deployments = deployments;
    this.schedules = schedules;
    this.web = web;
    this.images = images;
    this.secrets = secrets;
    this.volumes = volumes;
    this.access = access;
    this.leases = leases;
  }

  void createApp(CreateAppRequest request, StreamObserver<CreateAppResponse> response) {
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
                  AppClasspath.hostPaths(request.getClasspathList()),
                  Set.copyOf(request.getCallableAppsList()),
                  secretEnv,
                  AppDefinitions.images(images, request));
          leases.ifPresent(l -> l.grant(app.spec().id()));
          return CreateAppResponse.newBuilder()
              .setAppId(app.spec().id())
              .putAllWebUrls(web.urls(app))
              .setLeaseMs(leases.map(l -> l.length().toMillis()).orElse(0L))
              .build();
        });
  }

  void renewAppLease(RenewAppLeaseRequest request, StreamObserver<RenewAppLeaseResponse> response) {
    Statuses.respond(
        response,
        () -> {
          authorize(request.getAppId());
          if (leases.isEmpty()) {
            // Embedded: apps hold no lease, and one that runs needs no renewal.
            if (apps.find(request.getAppId()).isEmpty()) {
              throw appNotFound(request.getAppId());
            }
            return RenewAppLeaseResponse.getDefaultInstance();
          }
          if (!leases.get().renew(request.getAppId())) {
            if (apps.find(request.getAppId()).isPresent()) {
              throw Statuses.failedPrecondition(
                  "app "
                      + request.getAppId()
                      + " holds no lease: it is a deployed app, or its lease has just lapsed");
            }
            throw Statuses.notFound(
                "app "
                    + request.getAppId()
                    + " not found: it was stopped, or its lease lapsed (no renewal for "
                    + leases.get().length().toMillis()
                    + " ms) and the server stopped it");
          }
          return RenewAppLeaseResponse.newBuilder()
              .setLeaseMs(leases.get().length().toMillis())
              .build();
        });
  }

  void stopApp(StopAppRequest request, StreamObserver<StopAppResponse> response) {
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

  void getAppStatus(AppStatusRequest request, StreamObserver<AppStatus> response) {
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
          status.addAllWarmContainers(apps.warmContainers(app.spec().id()));
          return status.build();
        });
  }

  void getAppHistory(AppHistoryRequest request, StreamObserver<AppHistory> response) {
    Statuses.respond(
        response,
        () -> {
          authorize(request.getAppId());
          if (apps.find(request.getAppId()).isEmpty()) {
            throw appNotFound(request.getAppId());
          }
          return deployments
              .flatMap(d -> d.history(request.getAppId()))
              .orElseGet(() -> schedules.history(request.getAppId()))
              .toBuilder()
              .addAllNextRuns(schedules.nextRuns(request.getAppId()))
              .build();
        });
  }

  void listApps(ListAppsRequest request, StreamObserver<ListAppsResponse> response) {
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

  void lookupFunction(
      LookupFunctionRequest request, StreamObserver<LookupFunctionResponse> response) {
    Statuses.respond(
        response,
        () -> {
          if (!request.getAppId().isEmpty()) {
            FunctionInputs f =
                access.resolve(
                    FunctionRef.newBuilder()
                        .setAppId(request.getAppId())
                        .setFunctionName(request.getFunctionName())
                        .build());
            return LookupFunctionResponse.newBuilder()
                .setAppId(request.getAppId())
                .setFunction(f.def())
                .build();
          }
          RunningApp app = access.deployed().current(request.getAppName());
          access.authorizeCall(app.spec().id());
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
}
