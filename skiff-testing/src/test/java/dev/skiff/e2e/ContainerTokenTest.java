package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.skiff.AppRun;
import dev.skiff.ContainerStatus;
import dev.skiff.RunOptions;
import dev.skiff.Volume;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.AutoscalerSettings;
import dev.skiff.proto.BlobApiGrpc;
import dev.skiff.proto.BlobChunk;
import dev.skiff.proto.BlobRef;
import dev.skiff.proto.ClientApiGrpc;
import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.FunctionRef;
import dev.skiff.proto.StopContainerRequest;
import dev.skiff.proto.UpdateAutoscalerRequest;
import dev.skiff.testing.SkiffExtension;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A container's token, taken by hostile function code from its container's environment and used
 * over real gRPC, does only what a function needs: it cannot stop or rescale its app, stop a
 * sibling container, read another app's logs or blobs, call another app's functions or touch a
 * volume its app does not mount. Each refusal is asserted as the attacker sees it.
 */
@Tag("e2e")
class ContainerTokenTest {
  @RegisterExtension
  static final SkiffExtension skiff = SkiffExtension.builder().withoutWarmContainers().build();

  private static final Duration WAIT = Duration.ofSeconds(60);

  private static final String ALLOWED =
      "a container token may only run its own inputs, call and observe the functions of its own"
          + " app, and use its own app's blobs and the volumes its app mounts";

  private ManagedChannel client;

  @BeforeEach
  void connect() {
    client = SkiffClient.channel(skiff.target(), skiff.token());
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    client.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
  }

  @Test
  void aContainerTokenCannotStopItsOwnApp() {
    try (AppRun run = TokenFns.thief.run(RunOptions.quiet())) {
      assertThat(TokenFns.attack.remote("stopApp", ""))
          .isEqualTo("PERMISSION_DENIED: the container token may not call StopApp; " + ALLOWED);
      assertThat(TokenFns.sibling.remote()).startsWith("c-"); // the app still runs
    }
  }

  @Test
  void aContainerTokenCannotScaleItsAppAtAll() {
    try (AppRun run = TokenFns.thief.run(RunOptions.quiet())) {
      assertThat(TokenFns.attack.remote("scale", "1000000"))
          .isEqualTo(
              "PERMISSION_DENIED: the container token may not call UpdateAutoscaler; " + ALLOWED);
    }
  }

  @Test
  void aContainerTokenCannotStopASiblingContainer() {
    try (AppRun run = TokenFns.thief.run(RunOptions.quiet())) {
      String sibling = TokenFns.sibling.remote();
      assertThat(TokenFns.attack.remote("stopContainer", sibling))
          .isEqualTo(
              "PERMISSION_DENIED: the container token may not call StopContainer; " + ALLOWED);
      assertThat(containersOf(run, "sibling")).contains(sibling);
    }
  }

  @Test
  void aContainerTokenCannotReadTheLogsOfAnotherAppsEndedContainer() {
    try (AppRun victim = TokenFns.victim.run(RunOptions.quiet());
        AppRun thief = TokenFns.thief.run(RunOptions.quiet())) {
      String ended = TokenFns.speak.remote();
      ClientApiGrpc.newBlockingStub(client)
          .stopContainer(StopContainerRequest.newBuilder().setContainerId(ended).build());
      await().atMost(WAIT).until(() -> !containersOf(victim, "speak").contains(ended));

      assertThat(TokenFns.attack.remote("logs", ended))
          .isEqualTo(
              "PERMISSION_DENIED: container "
                  + ended
                  + " is not one of app "
                  + thief.appId()
                  + "; a container token may read the logs of its own app only");
    }
  }

  @Test
  void aContainerTokenCannotCallAnotherAppsFunction() {
    try (AppRun victim = TokenFns.victim.run(RunOptions.quiet());
        AppRun thief = TokenFns.thief.run(RunOptions.quiet())) {
      assertThat(TokenFns.attack.remote("callOther", victim.appId() + "/speak"))
          .isEqualTo(
              "PERMISSION_DENIED: a container of app "
                  + thief.appId()
                  + " may not use app "
                  + victim.appId()
                  + "; "
                  + ALLOWED
                  + ", or the functions of the deployed apps its app names with App.canCall");
    }
  }

  @Test
  void aContainerTokenCannotReadAnotherAppsBlob() throws Exception {
    try (AppRun victim = TokenFns.victim.run(RunOptions.quiet());
        AppRun thief = TokenFns.thief.run(RunOptions.quiet())) {
      String blob = putBlob(victim.appId(), "the victim's payload");
      assertThat(TokenFns.attack.remote("blob", blob))
          .isEqualTo(
              "PERMISSION_DENIED: blob "
                  + blob
                  + " belongs to app "
                  + victim.appId()
                  + "; a container token may read the blobs of its own app and the apps it may"
                  + " call only");
    }
  }

  @Test
  void aContainerTokenTouchesOnlyTheVolumesItsAppMounts() {
    Volume.fromName("victim-volume").createIfMissing().write("secret.txt", new byte[] {1});
    try (AppRun thief = TokenFns.thief.run(RunOptions.quiet())) {
      assertThat(TokenFns.attack.remote("volume", "victim-volume"))
          .isEqualTo(
              "PERMISSION_DENIED: app "
                  + thief.appId()
                  + " does not mount volume 'victim-volume'; a container token may use the volumes"
                  + " its app mounts only ([thief-volume])");
      assertThat(TokenFns.attack.remote("volume", TokenFns.OWN_VOLUME)).startsWith("OK listed ");
    }
  }

  @Test
  void theServerBoundsTheNumbersEvenTheClientTokenSends() {
    try (AppRun thief = TokenFns.thief.run(RunOptions.quiet())) {
      assertThatThrownBy(
              () ->
                  ClientApiGrpc.newBlockingStub(client)
                      .updateAutoscaler(
                          UpdateAutoscalerRequest.newBuilder()
                              .setFunction(
                                  FunctionRef.newBuilder()
                                      .setAppId(thief.appId())
                                      .setFunctionName("attack"))
                              .setSettings(
                                  AutoscalerSettings.newBuilder()
                                      .setMaxContainers(1_000_000)
                                      .setScaledownWindowMs(60_000))
                              .build()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e ->
                  assertThat(e.getStatus().getCode() + ": " + e.getStatus().getDescription())
                      .isEqualTo(
                          "INVALID_ARGUMENT: function 'attack': updateAutoscaler: max_containers is"
                              + " 1000000; allowed is 1..1000"));
      assertThatThrownBy(
              () ->
                  ClientApiGrpc.newBlockingStub(client)
                      .createApp(
                          CreateAppRequest.newBuilder()
                              .setAppName("huge")
                              .addClasspath("/nowhere")
                              .addFunctions(
                                  FunctionDef.newBuilder()
                                      .setName("f")
                                      .setClassName("C")
                                      .setMethodName("m")
                                      .setTimeoutMs(Long.MAX_VALUE))
                              .build()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e ->
                  assertThat(e.getStatus().getDescription())
                      .isEqualTo(
                          "function 'f' of app 'huge': timeout_ms is "
                              + Long.MAX_VALUE
                              + "; allowed is 0..86400000"));
    }
  }

  private static List<String> containersOf(AppRun run, String function) {
    return run.status().stream()
        .filter(f -> f.name().equals(function))
        .flatMap(f -> f.containers().stream())
        .map(ContainerStatus::id)
        .toList();
  }

  /** Puts a blob for {@code appId} with the client token, as the SDK does for a large payload. */
  private String putBlob(String appId, String content) throws Exception {
    CompletableFuture<BlobRef> done = new CompletableFuture<>();
    StreamObserver<BlobChunk> up =
        BlobApiGrpc.newStub(client)
            .putBlob(
                new StreamObserver<>() {
                  @Override
                  public void onNext(BlobRef ref) {
                    done.complete(ref);
                  }

                  @Override
                  public void onError(Throwable t) {
                    done.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    up.onNext(
        BlobChunk.newBuilder().setAppId(appId).setData(ByteString.copyFromUtf8(content)).build());
    up.onCompleted();
    return done.get(30, TimeUnit.SECONDS).getId();
  }
}
