package dev.skiff.server.cluster;

import dev.skiff.proto.AppHistoryRequest;
import dev.skiff.proto.AppStatusRequest;
import dev.skiff.proto.CallRequest;
import dev.skiff.proto.CancelRequest;
import dev.skiff.proto.ClientApiGrpc;
import dev.skiff.proto.DeployAppRequest;
import dev.skiff.proto.FunctionRef;
import dev.skiff.proto.GenerateRequest;
import dev.skiff.proto.GetResultRequest;
import dev.skiff.proto.LookupFunctionRequest;
import dev.skiff.proto.MapRequest;
import dev.skiff.proto.RenewAppLeaseRequest;
import dev.skiff.proto.SpawnManyRequest;
import dev.skiff.proto.StopAppRequest;
import dev.skiff.proto.StreamLogsRequest;
import dev.skiff.proto.UndeployAppRequest;
import dev.skiff.proto.UpdateAutoscalerRequest;
import dev.skiff.server.auth.TokenInterceptor;
import dev.skiff.server.store.LeaseStore.Replica;
import dev.skiff.server.store.StoredCall;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Routes each client request to the replica that owns its app, so that a client may reach any
 * replica: a request for an app that another live replica owns is forwarded to it, over gRPC, as it
 * came (the same method and messages, streams included), with the caller's token (the replicas
 * share it through their database) and a header that names the forwarding replica; a forwarded
 * request is never forwarded again. A request for an app that is moving (its owner stopped renewing
 * its lease and no replica took it yet) is answered UNAVAILABLE, which clients retry. Everything
 * else (a new app, a deploy of a free name, jars, blobs, volumes, tokens) is served here.
 *
 * <p>The app is read from the request's first message, so the call is started only once it has
 * arrived; until then the call's other events wait, in order. The owner of an app by name or id is
 * known from the last ownership scan, in memory; only a spawned call that this replica does not
 * hold is looked up in the database, on {@code blocking}.
 *
 * <p>Installed on the client port only: containers reach their own replica, which owns their app.
 */
public final class Forwarding implements ServerInterceptor {
  /** The header of a forwarded request: the id of the replica that forwarded it. */
  public static final Metadata.Key<String> FORWARDED_BY =
      Metadata.Key.of("skiff-forwarded-by", Metadata.ASCII_STRING_MARSHALLER);

  /** Where a request goes. */
  sealed interface Route {
    record Local() implements Route {}

    record Remote(Replica replica) implements Route {}

    record Refused(Status status) implements Route {}
  }

  private static final Route LOCAL = new Route.Local();
  private static final Route UNKNOWN = new Route.Local();

  private final Ownership ownership;
  private final PeerChannels peers;
  private final Predicate<String> localAppId;
  private final Predicate<String> liveCall;
  private final Function<String, Optional<StoredCall>> storedCall;
  private final Executor blocking;

  /**
   * @param localAppId whether an app id is one of this replica's apps
   * @param liveCall whether a spawned call is held by this replica
   * @param storedCall a spawned call as stored (reads the database)
   * @param blocking where database reads for routing run
   */
  public Forwarding(
      Ownership ownership,
      int maxMessageBytes,
      Predicate<String> localAppId,
      Predicate<String> liveCall,
      Function<String, Optional<StoredCall>> storedCall,
      Executor blocking) {
    this.ownership = ownership;
    this.peers = new PeerChannels(maxMessageBytes);
    this.localAppId = localAppId;
    this.liveCall = liveCall;
    this.storedCall = storedCall;
    this.blocking = blocking;
  }

  /** Closes the channels to the other replicas. */
  public void close() {
    peers.close();
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (!ClientApiGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())
        || !routed(call.getMethodDescriptor().getBareMethodName())) {
      return next.startCall(call, headers);
    }
    Deferred<Q, R> d =
        new Deferred<>(call, headers, next, headers.get(FORWARDED_BY), Context.current());
    call.request(1);
    return d;
  }

  private static boolean routed(String method) {
    return switch (method) {
      case "StopApp",
          "RenewAppLease",
          "Call",
          "Map",
          "Spawn",
          "SpawnMany",
          "GetResult",
          "Cancel",
          "Generate",
          "StreamLogs",
          "UpdateAutoscaler",
          "GetAppStatus",
          "GetAppHistory",
          "DeployApp",
          "UndeployApp",
          "LookupFunction" ->
          true;
      default -> false;
    };
  }

  // --------------------------------------------------------------------------- routing

  /** Decides where a request goes by its first message; {@code decided} gets the route. */
  private void route(Object first, Consumer<Route> decided) {
    Route route = routeNow(first, decided);
    if (route == null) {
      return; // decided later
    }
    if (route != UNKNOWN) {
      decided.accept(route);
      return;
    }
    // The last scan did not know the app: ask the database before serving it here.
    blocking.execute(
        () -> {
          Route again;
          try {
            ownership.refresh();
            again = routeNow(first, decided);
          } catch (RuntimeException e) {
            again = LOCAL; // served here, which answers what it knows
          }
          if (again != null) {
            decided.accept(again == UNKNOWN ? LOCAL : again);
          }
        });
  }

  /**
   * Where a request goes as far as memory tells: a route, {@link #UNKNOWN} if its app is not known
   * here, or null if {@code later} will be told (a spawned call looked up in the database).
   */
  private Route routeNow(Object first, Consumer<Route> later) {
    return switch (first) {
      case CallRequest r -> byFunction(r.getFunction());
      case MapRequest r -> r.hasFunction() ? byFunction(r.getFunction()) : LOCAL;
      // Its calls name one function (the server refuses others).
      case SpawnManyRequest r ->
          r.getCallsCount() == 0 ? LOCAL : byFunction(r.getCalls(0).getFunction());
      case GenerateRequest r -> r.hasStart() ? byFunction(r.getStart().getFunction()) : LOCAL;
      case GetResultRequest r -> byCall(r.getCallId(), true, later);
      case CancelRequest r -> byCall(r.getCallId(), false, later);
      case StopAppRequest r -> byAppId(r.getAppId());
      case RenewAppLeaseRequest r -> byAppId(r.getAppId());
      case StreamLogsRequest r -> byAppId(r.getAppId());
      case UpdateAutoscalerRequest r -> byFunction(r.getFunction());
      case AppStatusRequest r -> byAppId(r.getAppId());
      case AppHistoryRequest r -> byAppId(r.getAppId());
      case DeployAppRequest r -> byName(r.getApp().getAppName());
      case UndeployAppRequest r -> byName(r.getAppName());
      case LookupFunctionRequest r -> byName(r.getAppName());
      default -> LOCAL;
    };
  }

  private Route byFunction(FunctionRef ref) {
    return ref.getAppName().isEmpty() ? byAppId(ref.getAppId()) : byName(ref.getAppName());
  }

  private Route byName(String name) {
    return routeTo(ownership.ownerOf(name));
  }

  /** Where a request goes, given its app's owner. */
  private static Route routeTo(Ownership.Owner owner) {
    return switch (owner) {
      case Ownership.Owner.Here h -> LOCAL;
      case Ownership.Owner.Nobody n -> UNKNOWN;
      case Ownership.Owner.There t -> new Route.Remote(t.replica());
      case Ownership.Owner.Moving m ->
          new Route.Refused(Status.UNAVAILABLE.withDescription(m.why()));
    };
  }

  private Route byAppId(String appId) {
    if (appId.isEmpty() || localAppId.test(appId)) {
      return LOCAL;
    }
    return routeTo(ownership.ownerOfAppId(appId).orElseGet(() -> ownership.ownerOf("#" + appId)));
  }

  /**
   * A spawned call goes where its app is, unless this replica holds it: a deployed app's call by
   * the app's owner; a finished call is answered from the database anywhere.
   */
  private Route byCall(String callId, boolean read, Consumer<Route> decided) {
    if (callId.isEmpty() || liveCall.test(callId)) {
      return LOCAL;
    }
    blocking.execute(
        () -> {
          Route route;
          try {
            Optional<StoredCall> stored = storedCall.apply(callId);
            if (stored.isEmpty() || !stored.get().deployed()) {
              route = LOCAL;
            } else if (read && stored.get().result().isPresent()) {
              route = LOCAL;
            } else {
              route = byName(stored.get().appName());
              if (route == UNKNOWN) {
                ownership.refresh();
                route = byName(stored.get().appName());
              }
              if (route instanceof Route.Local) {
                route = LOCAL; // its app is here, or has no owner: the database answers
              }
            }
          } catch (RuntimeException e) {
            route =
                new Route.Refused(
                    Status.UNAVAILABLE.withDescription(
                        "could not look up call " + callId + ": " + e.getMessage()));
          }
          decided.accept(route);
        });
    return null;
  }

  // --------------------------------------------------------------------------- the call

  /**
   * A call whose handler starts once its first message told where it goes; its events wait until
   * then, in order.
   */
  private final class Deferred<Q, R> extends ServerCall.Listener<Q> {
    private final ServerCall<Q, R> call;
    private final Metadata headers;
    private final ServerCallHandler<Q, R> next;
    private final String forwardedBy; // null unless another replica forwarded it
    private final Context context;
    private final Object lock = new Object();
    // Guarded by lock.
    private final List<Consumer<ServerCall.Listener<Q>>> waiting = new ArrayList<>();
    private ServerCall.Listener<Q> delegate;
    private boolean firstSeen;

    Deferred(
        ServerCall<Q, R> call,
        Metadata headers,
        ServerCallHandler<Q, R> next,
        String forwardedBy,
        Context context) {
      this.call = call;
      this.headers = headers;
      this.next = next;
      this.forwardedBy = forwardedBy;
      this.context = context;
    }

    @Override
    public void onMessage(Q message) {
      synchronized (lock) {
        if (delegate != null) {
          delegate.onMessage(message);
          return;
        }
        if (firstSeen) {
          waiting.add(l -> l.onMessage(message));
          return;
        }
        firstSeen = true;
      }
      route(message, route -> context.run(() -> decided(route, message)));
    }

    private void decided(Route route, Q first) {
      synchronized (lock) {
        ServerCall.Listener<Q> l;
        if (route instanceof Route.Remote remote && forwardedBy != null) {
          route =
              new Route.Refused(
                  Status.UNAVAILABLE.withDescription(
                      "replica "
                          + forwardedBy
                          + " sent this request to replica "
                          + ownership.id()
                          + ", but its app is owned by replica "
                          + remote.replica().id()
                          + " now; ask again"));
        }
        switch (route) {
          case Route.Local local -> l = next.startCall(call, headers);
          case Route.Remote remote -> l = new Forwarded<>(call, headers, remote.replica());
          case Route.Refused refused -> {
            call.close(refused.status(), new Metadata());
            l = new ServerCall.Listener<>() {};
          }
        }
        l.onMessage(first);
        for (Consumer<ServerCall.Listener<Q>> event : waiting) {
          event.accept(l);
        }
        waiting.clear();
        delegate = l;
      }
    }

    private void event(Consumer<ServerCall.Listener<Q>> e) {
      synchronized (lock) {
        if (delegate != null) {
          e.accept(delegate);
        } else {
          waiting.add(e);
        }
      }
    }

    @Override
    public void onHalfClose() {
      event(ServerCall.Listener::onHalfClose);
    }

    @Override
    public void onCancel() {
      event(ServerCall.Listener::onCancel);
    }

    @Override
    public void onComplete() {
      event(ServerCall.Listener::onComplete);
    }

    @Override
    public void onReady() {
      event(ServerCall.Listener::onReady);
    }
  }

  /** A call passed on to the replica that owns its app, and its answers passed back. */
  private final class Forwarded<Q, R> extends ServerCall.Listener<Q> {
    private final ServerCall<Q, R> call;
    private final ClientCall<Q, R> out;

    Forwarded(ServerCall<Q, R> call, Metadata incoming, Replica owner) {
      this.call = call;
      Deadline deadline = Context.current().getDeadline();
      CallOptions options = CallOptions.DEFAULT;
      if (deadline != null) {
        options = options.withDeadline(deadline);
      }
      this.out = peers.to(owner).newCall(call.getMethodDescriptor(), options);
      Metadata headers = new Metadata();
      String token = incoming.get(TokenInterceptor.AUTHORIZATION);
      if (token != null) {
        headers.put(TokenInterceptor.AUTHORIZATION, token);
      }
      headers.put(FORWARDED_BY, ownership.id());
      out.start(
          new ClientCall.Listener<R>() {
            private boolean headersSent;

            @Override
            public void onMessage(R message) {
              if (!headersSent) {
                headersSent = true;
                call.sendHeaders(new Metadata());
              }
              call.sendMessage(message);
              out.request(1);
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
              Status s = status;
              if (status.getCode() == Status.Code.UNAVAILABLE
                  && (status.getDescription() == null
                      || !status.getDescription().contains("ask again"))) {
                s =
                    Status.UNAVAILABLE
                        .withDescription(
                            "replica "
                                + owner.id()
                                + " at "
                                + owner.address()
                                + ", which owns the app, is unreachable ("
                                + status.getDescription()
                                + "); ask again: another replica takes its apps over once its"
                                + " lease lapses")
                        .withCause(status.getCause());
              }
              call.close(s, trailers);
            }
          },
          headers);
      out.request(1);
    }

    @Override
    public void onMessage(Q message) {
      out.sendMessage(message);
      call.request(1);
    }

    @Override
    public void onHalfClose() {
      out.halfClose();
    }

    @Override
    public void onCancel() {
      out.cancel("the caller cancelled", null);
    }
  }
}
