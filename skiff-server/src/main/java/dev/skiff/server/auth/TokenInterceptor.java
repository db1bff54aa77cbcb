package dev.skiff.server.auth;

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
 * caller as a {@link Principal} in the call's context. Refuses ({@code PERMISSION_DENIED}) every
 * call that {@link Permissions} does not allow the caller; which app's resources a container may
 * act on is checked by the services, which look up the owner of each resource. Thread-safe.
 */
public final class TokenInterceptor implements ServerInterceptor {
  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final String BEARER = "Bearer ";

  private final Tokens tokens;

  public TokenInterceptor(Tokens tokens) {
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
    Optional<Status> refusal = Permissions.refusal(principal.get(), call.getMethodDescriptor());
    if (refusal.isPresent()) {
      return refuse(call, refusal.get());
    }
    Context context = Context.current().withValue(Principal.KEY, principal.get());
    return Contexts.interceptCall(context, call, headers, next);
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
    call.close(status, new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
