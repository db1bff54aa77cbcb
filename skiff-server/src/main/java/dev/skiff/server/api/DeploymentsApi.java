package dev.skiff.server.api;

import static dev.skiff.server.api.Access.clientOnly;

import dev.skiff.proto.DeployAppRequest;
import dev.skiff.proto.DeployAppResponse;
import dev.skiff.proto.FindMissingJarsRequest;
import dev.skiff.proto.FindMissingJarsResponse;
import dev.skiff.proto.JarChunk;
import dev.skiff.proto.UndeployAppRequest;
import dev.skiff.proto.UndeployAppResponse;
import dev.skiff.proto.UploadJarResponse;
import dev.skiff.server.common.Statuses;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;

/**
 * The client API's deployed apps: which jars the server lacks, uploading one, deploying and
 * undeploying. Only a client may do these; an embedded control plane keeps no deployed apps and
 * refuses them.
 */
final class DeploymentsApi {
  private final Access access;

  DeploymentsApi(Access access) {
    this.access = access;
  }

  void findMissingJars(
      FindMissingJarsRequest request, StreamObserver<FindMissingJarsResponse> response) {
    Statuses.respond(
        response,
        () -> {
          clientOnly("deploy apps");
          return FindMissingJarsResponse.newBuilder()
              .addAllMissing(access.deployed().jars().missing(request.getSha256List()))
              .build();
        });
  }

  StreamObserver<JarChunk> uploadJar(StreamObserver<UploadJarResponse> response) {
    try {
      clientOnly("deploy apps");
      return access.deployed().jars().upload(response);
    } catch (RuntimeException e) {
      response.onError(Statuses.of(e));
      return new StreamObserver<>() {
        @Override
        public void onNext(JarChunk value) {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      };
    }
  }

  void deployApp(DeployAppRequest request, StreamObserver<DeployAppResponse> response) {
    // Deploying starts an app and waits for the store: not on a transport thread.
    Context context = Context.current();
    Thread.ofVirtual()
        .name("skiff-deploy")
        .start(
            context.wrap(
                () ->
                    Statuses.respond(
                        response,
                        () -> {
                          clientOnly("deploy apps");
                          return access.deployed().deploy(request);
                        })));
  }

  void undeployApp(UndeployAppRequest request, StreamObserver<UndeployAppResponse> response) {
    Context context = Context.current();
    Thread.ofVirtual()
        .name("skiff-undeploy")
        .start(
            context.wrap(
                () ->
                    Statuses.respond(
                        response,
                        () -> {
                          clientOnly("undeploy apps");
                          access.deployed().undeploy(request.getAppName());
                          return UndeployAppResponse.getDefaultInstance();
                        })));
  }
}
