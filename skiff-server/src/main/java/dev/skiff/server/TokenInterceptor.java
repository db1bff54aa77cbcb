package dev.skiff.server;

import dev.skiff.proto.ContainerApiGrpc;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Optional;

/**
 * Admits a call only with a valid {@code authorization: Bearer <token>} header and records the
 * caller as a {@link Principal} in the call's context. Refuses the client token on the container
 * API ({@code PERMISSION_DENIED}); which app a container may act on is checked by the services,
 * which know the app of each request. Thread-safe.
 */
final class TokenInterceptor implements ServerInterceptor {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final String BEARER = "Bearer ";

  private final Tokens tokens;

  TokenInterceptor(Tokens tokens) {
    this.tokens = tokens;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String header = headers.get(AUTHORIZATION);
    if (header == null || !header.startsWith(BEARER)) {
      return refuse(
          call, Status.UNAUTHENTICATED.withDescription("missing 'authorization: Bearer' token"));
    }
    Optional<Principal> principal = tokens.authenticate(header.substring(BEARER.length()).trim());
    if (principal.isEmpty()) {
      return refuse(call, Status.UNAUTHENTICATED.withDescription("invalid token"));
    }
    boolean containerApi =
        ContainerApiGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName());
    if (containerApi && !(principal.get() instanceof Principal.Container)) {
      return refuse(
          call,
          Status.PERMISSION_DENIED.withDescription(
              "the container API takes container tokens only"));
    }
    Context context = Context.current().withValue(Principal.KEY, principal.get());
    return Contexts.interceptCall(context, call, headers, next);
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
    call.close(status, new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
