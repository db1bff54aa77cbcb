package dev.skiff.server.api;

import static dev.skiff.server.api.Access.appNotFound;
import static dev.skiff.server.api.Access.authorize;

import dev.skiff.proto.LogLine;
import dev.skiff.proto.StreamLogsRequest;
import dev.skiff.server.auth.Principal;
import dev.skiff.server.common.Bounds;
import dev.skiff.server.common.Statuses;
import dev.skiff.server.logs.LogFanout;
import dev.skiff.server.logs.LogSubscriber;
import dev.skiff.server.runtime.AppDirectory;
import dev.skiff.server.runtime.Container;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.Optional;

/**
 * The client API's logs: the kept and live lines of an app or of one container. The owner of a
 * container is looked up, never taken from the request.
 */
final class LogsApi {
  private final AppDirectory apps;
  private final Map<String, Container> containers;
  private final LogFanout logs;

  LogsApi(AppDirectory apps, Map<String, Container> containers, LogFanout logs) {
    this.apps = apps;
    this.containers = containers;
    this.logs = logs;
  }

  void streamLogs(StreamLogsRequest request, StreamObserver<LogLine> response) {
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
}
