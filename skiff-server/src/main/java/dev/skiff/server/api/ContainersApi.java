package dev.skiff.server.api;

import static dev.skiff.server.api.Access.authorize;

import dev.skiff.proto.AutoscalerSettings;
import dev.skiff.proto.StopContainerRequest;
import dev.skiff.proto.StopContainerResponse;
import dev.skiff.proto.UpdateAutoscalerRequest;
import dev.skiff.proto.UpdateAutoscalerResponse;
import dev.skiff.server.common.Bounds;
import dev.skiff.server.common.Statuses;
import dev.skiff.server.deploy.Deployments;
import dev.skiff.server.runtime.Container;
import dev.skiff.server.runtime.FunctionInputs;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The client API's containers: stopping one, and how many a function keeps (its autoscaler; the
 * settings given to a deployed app's current version are stored by {@link Deployments} first).
 */
final class ContainersApi {
  private final Map<String, Container> containers;
  private final Access access;
  private final Optional<Deployments> deployments;

  ContainersApi(
      Map<String, Container> containers, Access access, Optional<Deployments> deployments) {
    this.containers = containers;
    this.access = access;
    this.deployments = deployments;
  }

  void stopContainer(StopContainerRequest request, StreamObserver<StopContainerResponse> response) {
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

  void updateAutoscaler(
      UpdateAutoscalerRequest request, StreamObserver<UpdateAutoscalerResponse> response) {
    Statuses.respond(
        response,
        () -> {
          FunctionInputs function = access.resolve(request.getFunction());
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
          Runnable apply =
              () ->
                  function.updateAutoscaler(
                      a.getMinContainers(),
                      a.getMaxContainers(),
                      a.getBufferContainers(),
                      Duration.ofMillis(a.getScaledownWindowMs()));
          if (deployments.isPresent()) {
            deployments.get().updateAutoscaler(function.app().id(), function.name(), a, apply);
          } else {
            apply.run();
          }
          return UpdateAutoscalerResponse.getDefaultInstance();
        });
  }
}
