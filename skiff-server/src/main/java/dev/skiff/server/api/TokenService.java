package dev.skiff.server.api;

import dev.skiff.proto.CreateWebTokenRequest;
import dev.skiff.proto.CreateWebTokenResponse;
import dev.skiff.proto.ListWebTokensRequest;
import dev.skiff.proto.ListWebTokensResponse;
import dev.skiff.proto.RevokeWebTokenRequest;
import dev.skiff.proto.RevokeWebTokenResponse;
import dev.skiff.proto.TokenApiGrpc;
import dev.skiff.proto.WebTokenInfo;
import dev.skiff.server.auth.Principal;
import dev.skiff.server.common.Statuses;
import dev.skiff.server.store.StoredWebToken;
import dev.skiff.server.web.WebTokens;
import io.grpc.stub.StreamObserver;

/**
 * Creates, lists and revokes web tokens ({@code TokenApi}) for the holder of the client token; any
 * other caller is refused with PERMISSION_DENIED. Thread-safe.
 */
public final class TokenService extends TokenApiGrpc.TokenApiImplBase {
  private final WebTokens webTokens;

  public TokenService(WebTokens webTokens) {
    this.webTokens = webTokens;
  }

  @Override
  public void createWebToken(
      CreateWebTokenRequest request, StreamObserver<CreateWebTokenResponse> response) {
    Statuses.respond(
        response,
        () -> {
          requireClient();
          WebTokens.Created created = webTokens.create(request.getName());
          return CreateWebTokenResponse.newBuilder()
              .setToken(info(created.token()))
              .setSecret(created.secret())
              .build();
        });
  }

  @Override
  public void listWebTokens(
      ListWebTokensRequest request, StreamObserver<ListWebTokensResponse> response) {
    Statuses.respond(
        response,
        () -> {
          requireClient();
          ListWebTokensResponse.Builder list = ListWebTokensResponse.newBuilder();
          webTokens.list().forEach(t -> list.addTokens(info(t)));
          return list.build();
        });
  }

  @Override
  public void revokeWebToken(
      RevokeWebTokenRequest request, StreamObserver<RevokeWebTokenResponse> response) {
    Statuses.respond(
        response,
        () -> {
          requireClient();
          webTokens.revoke(request.getKeyId());
          return RevokeWebTokenResponse.getDefaultInstance();
        });
  }

  /** Web tokens are the operator's to hand out: a container may not mint itself one. */
  private static void requireClient() {
    if (!(Principal.current() instanceof Principal.Client)) {
      throw Statuses.denied("web tokens are managed with the client token only");
    }
  }

  private static WebTokenInfo info(StoredWebToken t) {
    return WebTokenInfo.newBuilder()
        .setKeyId(t.keyId())
        .setName(t.name())
        .setCreatedMs(t.createdAt().toEpochMilli())
        .build();
  }
}
