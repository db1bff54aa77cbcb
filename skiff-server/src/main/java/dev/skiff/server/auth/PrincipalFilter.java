package dev.skiff.server.auth;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Admits on one listener only the kind of caller it is for: the container socket takes container
 * tokens only, and the client port takes every token but container tokens, so that a stolen
 * container token is worth nothing outside the container's own socket. Runs inside {@link
 * TokenInterceptor}, which has put the caller into the call's context. Thread-safe.
 */
public final class PrincipalFilter implements ServerInterceptor {
  private final boolean containers;

  private PrincipalFilter(boolean containers) {
    this.containers = containers;
  }

  /** For the container socket: container tokens only. */
  public static PrincipalFilter containersOnly() {
    return new PrincipalFilter(true);
  }

  /** For the client port: no container tokens. */
  public static PrincipalFilter noContainers() {
    return new PrincipalFilter(false);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    boolean isContainer = Principal.KEY.get() instanceof Principal.Container;
    if (isContainer != containers) {
      call.close(
          Status.PERMISSION_DENIED.withDescription(
              containers
                  ? "the container socket takes container tokens only"
                  : "container tokens are accepted only on the container socket"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return next.startCall(call, headers);
  }
}
