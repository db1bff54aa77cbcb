package dev.skiff.server.api;

import dev.skiff.proto.ImageApiGrpc;
import dev.skiff.proto.ImageBuildEvent;
import dev.skiff.proto.ImageBuildFailure;
import dev.skiff.proto.ImageBuilt;
import dev.skiff.proto.ImageRecipe;
import dev.skiff.server.auth.Principal;
import dev.skiff.server.image.ImageStore;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.lang.System.Logger.Level;

/**
 * Builds images for clients ({@code ImageApi}). A build runs on its own virtual thread (the
 * server's handlers never block); its output lines stream to the caller as they come, then one
 * final event: the image's id, or the failed step with its output. A caller that goes away does not
 * stop the build: its result is cached for the next request.
 */
public final class ImageService extends ImageApiGrpc.ImageApiImplBase {
  private static final System.Logger LOG = System.getLogger(ImageService.class.getName());

  private final ImageStore images;

  public ImageService(ImageStore images) {
    this.images = images;
  }

  @Override
  public void buildImage(ImageRecipe recipe, StreamObserver<ImageBuildEvent> response) {
    if (!(Principal.current() instanceof Principal.Client)) {
      response.onError(
          Status.PERMISSION_DENIED
              .withDescription("a container may not build images")
              .asRuntimeException());
      return;
    }
    // Guards response: gRPC observers are not thread-safe, and only the build thread sends.
    Object lock = new Object();
    Thread.ofVirtual()
        .name("skiff-image-build")
        .start(
            () -> {
              ImageBuildEvent last;
              try {
                ImageStore.Result result =
                    images.build(
                        recipe,
                        line ->
                            send(
                                lock, response, ImageBuildEvent.newBuilder().setLog(line).build()));
                last =
                    ImageBuildEvent.newBuilder()
                        .setBuilt(
                            ImageBuilt.newBuilder()
                                .setImageId(result.image().id())
                                .setCached(result.cached())
                                .setElapsedMs(result.elapsedMillis()))
                        .build();
              } catch (dev.skiff.server.image.ImageBuildFailure e) {
                last =
                    ImageBuildEvent.newBuilder()
                        .setFailed(
                            ImageBuildFailure.newBuilder()
                                .setStep(e.step())
                                .setMessage(e.getMessage())
                                .setOutput(e.output()))
                        .build();
              } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "image build failed inside Skiff", e);
                synchronized (lock) {
                  try {
                    response.onError(
                        Status.INTERNAL
                            .withDescription("the image build failed: " + e)
                            .asRuntimeException());
                  } catch (RuntimeException gone) {
                    // The caller went away.
                  }
                }
                return;
              }
              synchronized (lock) {
                try {
                  response.onNext(last);
                  response.onCompleted();
                } catch (RuntimeException gone) {
                  // The caller went away; the image is built (or not) all the same.
                }
              }
            });
  }

  private static void send(
      Object lock, StreamObserver<ImageBuildEvent> response, ImageBuildEvent e) {
    synchronized (lock) {
      try {
        response.onNext(e);
      } catch (RuntimeException gone) {
        // The caller went away; the build goes on and its result is cached.
      }
    }
  }
}
