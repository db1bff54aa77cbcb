package dev.skiff.server.api;

import dev.skiff.proto.FunctionRef;
import dev.skiff.server.auth.Permissions;
import dev.skiff.server.auth.Principal;
import dev.skiff.server.common.Statuses;
import dev.skiff.server.deploy.CrossAppCalls;
import dev.skiff.server.deploy.Deployments;
import dev.skiff.server.runtime.AppDirectory;
import dev.skiff.server.runtime.FunctionInputs;
import dev.skiff.server.runtime.RunningApp;
import io.grpc.StatusRuntimeException;
import java.util.Optional;

/**
 * What the areas of the client API share: who may act on which app, which function a request names,
 * and the errors for what is not there. {@link Permissions} has already refused the RPCs a
 * container token may not call; here a container acts only on resources whose owner, looked up by
 * the server, is its own app (or, for calls, an app its app may call).
 */
final class Access {
  private final AppDirectory apps;
  private final Optional<Deployments> deployments;
  private final CrossAppCalls crossApp;

  Access(AppDirectory apps, Optional<Deployments> deployments) {
    this.apps = apps;
    this.deployments = deployments;
    this.crossApp = new CrossAppCalls(apps, deployments);
  }

  /** The function a request names, if the caller may use it and it is (not) a generator. */
  FunctionInputs resolve(FunctionRef ref, boolean generator) {
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
  FunctionInputs resolve(FunctionRef ref) {
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
                            + "; its functions: "
                            + String.join(", ", app.functions().keySet().stream().sorted().toList())
                            + ")"));
    return function;
  }

  /**
   * The deployed apps.
   *
   * @throws StatusRuntimeException FAILED_PRECONDITION if this control plane keeps none (embedded)
   */
  Deployments deployed() {
    return deployments.orElseThrow(
        () ->
            Statuses.failedPrecondition(
                "this control plane is embedded in a program and keeps no deployed apps; deploy"
                    + " to a long-running server (skiff server) and point SKIFF_SERVER or"
                    + " ~/.skiff/config.json at it"));
  }

  /** Refuses a container: only a client may do {@code what}. */
  static void clientOnly(String what) {
    if (!(Principal.current() instanceof Principal.Client)) {
      throw Statuses.denied("a container may not " + what);
    }
  }

  /**
   * Like {@link #authorize}, for calling a function and following its calls: a container may also
   * use a deployed app whose name its own app lists in {@code callable_apps} ({@code App.canCall}).
   */
  void authorizeCall(String appId) {
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
  static void authorize(String appId) {
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

  static StatusRuntimeException appNotFound(String appId) {
    return Statuses.notFound("app '" + appId + "' not found (it may have been stopped)");
  }
}
