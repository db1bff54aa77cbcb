package dev.skiff.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.AppStatusRequest;
import dev.skiff.proto.Assignment;
import dev.skiff.proto.CallRequest;
import dev.skiff.proto.CancelRequest;
import dev.skiff.proto.ClientApiGrpc;
import dev.skiff.proto.ContainerApiGrpc;
import dev.skiff.proto.ContainerHello;
import dev.skiff.proto.ContainerMessage;
import dev.skiff.proto.ContainerState;
import dev.skiff.proto.ControlMessage;
import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.ErrorKind;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.FunctionRef;
import dev.skiff.proto.GenerateRequest;
import dev.skiff.proto.GenerateResponse;
import dev.skiff.proto.GeneratorItem;
import dev.skiff.proto.GetResultRequest;
import dev.skiff.proto.GetResultResponse;
import dev.skiff.proto.IndexedArgs;
import dev.skiff.proto.IndexedResult;
import dev.skiff.proto.InputBatch;
import dev.skiff.proto.LogLine;
import dev.skiff.proto.MapRequest;
import dev.skiff.proto.MapResponse;
import dev.skiff.proto.Output;
import dev.skiff.proto.OutputBatch;
import dev.skiff.proto.Ready;
import dev.skiff.proto.Result;
import dev.skiff.proto.SpawnManyRequest;
import dev.skiff.proto.SpawnManyResponse;
import dev.skiff.proto.StopAppRequest;
import dev.skiff.proto.StopContainerRequest;
import dev.skiff.proto.StopContainerResponse;
import dev.skiff.proto.StreamLogsRequest;
import dev.skiff.server.auth.TokenInterceptor;
import dev.skiff.server.runtime.ControlPlaneConfig;
import dev.skiff.server.testing.FakeBackend;
import dev.skiff.server.testing.RecordingObserver;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A real control plane on loopback, spoken to over gRPC; containers are puppets that the test
 * connects over the container API with their own tokens, as the SDK's entrypoint would.
 */
class ControlPlaneTest {
  private final FakeBackend backend = new FakeBackend();
  private final ControlPlane plane =
      ControlPlane.start(
          new ControlPlaneConfig(
              4,
              Duration.ofSeconds(60),
              Duration.ofSeconds(300),
              Duration.ofSeconds(10),
              Duration.ofMillis(200),
              Duration.ofMillis(200),
              Duration.ofSeconds(1),
              3,
              Duration.ofSeconds(30),
              0,
              Path.of("target", "test-data")),
          backend,
          Clock.systemUTC());
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void tearDown() throws InterruptedException {
    for (ManagedChannel c : channels) {
      c.shutdownNow();
      c.awaitTermination(5, TimeUnit.SECONDS);
    }
    plane.close();
    assertThat(backend.closed).isTrue();
  }

  private ManagedChannel channel(String token) {
    NettyChannelBuilder b = NettyChannelBuilder.forTarget(plane.target()).usePlaintext();
    if (token != null) {
      Metadata headers = new Metadata();
      headers.put(TokenInterceptor.AUTHORIZATION, "Bearer " + token);
      b.intercept(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    ManagedChannel c = b.build();
    channels.add(c);
    return c;
  }

  /** A channel to the container socket with a container's token, as the SDK's entrypoint dials. */
  private ManagedChannel containerChannel(FakeBackend.Puppet puppet) {
    ManagedChannel c = SkiffClient.channel(puppet.env("SKIFF_SERVER"), puppet.env("SKIFF_TOKEN"));
    channels.add(c);
    return c;
  }

  private ClientApiGrpc.ClientApiBlockingStub client() {
    return ClientApiGrpc.newBlockingStub(channel(plane.token()));
  }

  private static FunctionDef.Builder def(String name) {
    return FunctionDef.newBuilder()
        .setName(name)
        .setClassName("com.example.Hello")
        .setMethodName(name)
        .setConcurrentInputs(4)
        .setMaxContainers(1);
  }

  private String createApp(FunctionDef.Builder... functions) {
    CreateAppRequest.Builder r =
        CreateAppRequest.newBuilder().setAppName("test").addClasspath("/app.jar");
    for (FunctionDef.Builder f : functions) {
      r.addFunctions(f);
    }
    return client().createApp(r.build()).getAppId();
  }

  private static CallRequest call(String appId, String function, String args) {
    return CallRequest.newBuilder()
        .setFunction(FunctionRef.newBuilder().setAppId(appId).setFunctionName(function))
        .setArgs(ByteString.copyFromUtf8(args))
        .build();
  }

  /** A puppet container talking to the control plane over its own stream. */
  private final class Remote {
    final FakeBackend.Puppet puppet;
    final RecordingObserver<ControlMessage> down = new RecordingObserver<>();
    final StreamObserver<ContainerMessage> up;

    Remote(FakeBackend.Puppet puppet) {
      this.puppet = puppet;
      this.up = ContainerApiGrpc.newStub(containerChannel(puppet)).connect(down);
    }

    Remote hello() {
      up.onNext(
          ContainerMessage.newBuilder()
              .setHello(
                  ContainerHello.newBuilder()
                      .setContainerId(puppet.spec.containerId())
                      .setToken(puppet.env("SKIFF_TOKEN")))
              .build());
      up.onNext(ContainerMessage.newBuilder().setReady(Ready.getDefaultInstance()).build());
      return this;
    }

    List<Assignment> awaitAssignments(int n) {
      await().atMost(Duration.ofSeconds(10)).until(() -> assignments().size() >= n);
      return assignments();
    }

    List<Assignment> assignments() {
      return down.values.stream()
          .filter(ControlMessage::hasAssignments)
          .flatMap(m -> m.getAssignments().getAssignmentsList().stream())
          .toList();
    }

    void answer(Assignment a, String value) {
      up.onNext(
          ContainerMessage.newBuilder()
              .setOutputs(
                  OutputBatch.newBuilder()
                      .addOutputs(
                          Output.newBuilder()
                              .setInputId(a.getInputId())
                              .setAttempt(a.getAttempt())
                              .setResult(
                                  Result.newBuilder().setValue(ByteString.copyFromUtf8(value)))))
              .build());
    }
  }

  private Remote awaitContainer(int index) {
    await().atMost(Duration.ofSeconds(10)).until(() -> backend.started.size() > index);
    return new Remote(backend.started.get(index));
  }

  private static Status.Code codeOf(Throwable t) {
    return Status.fromThrowable(t).getCode();
  }

  // ------------------------------------------------------------------------------ auth

  @Test
  void callsWithoutOrWithAWrongTokenAreUnauthenticated() {
    CreateAppRequest request = CreateAppRequest.newBuilder().setAppName("x").build();
    assertThatThrownBy(() -> ClientApiGrpc.newBlockingStub(channel(null)).createApp(request))
        .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.UNAUTHENTICATED));
    assertThatThrownBy(
            () -> ClientApiGrpc.newBlockingStub(channel("not-the-token")).createApp(request))
        .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.UNAUTHENTICATED));
  }

  @Test
  void clientTokenCannotOpenTheContainerApi() {
    RecordingObserver<ControlMessage> down = new RecordingObserver<>();
    ContainerApiGrpc.newStub(channel(plane.token())).connect(down);
    await().atMost(Duration.ofSeconds(10)).until(() -> down.error != null);
    assertThat(codeOf(down.error)).isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void containerTokenWorksOnlyForItsOwnApp() {
    String mine = createApp(def("f").setMinContainers(1));
    String other = createApp(def("g"));
    Remote c = awaitContainer(0);
    ClientApiGrpc.ClientApiBlockingStub asContainer =
        ClientApiGrpc.newBlockingStub(containerChannel(c.puppet));
    assertThat(c.puppet.env("SKIFF_SERVER")).startsWith("unix:");
    // On the client port, a container token is worth nothing at all.
    assertThatThrownBy(
            () ->
                ClientApiGrpc.newBlockingStub(channel(c.puppet.env("SKIFF_TOKEN")))
                    .spawn(call(mine, "f", "x")))
        .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.PERMISSION_DENIED))
        .hasMessageContaining("container tokens are accepted only on the container socket");

    assertThat(asContainer.spawn(call(mine, "f", "x")).getCallId()).startsWith("fc-");
    assertThatThrownBy(() -> asContainer.spawn(call(other, "g", "x")))
        .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.PERMISSION_DENIED));
    assertThatThrownBy(
            () -> asContainer.stopApp(StopAppRequest.newBuilder().setAppId(other).build()))
        .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.PERMISSION_DENIED));
    assertThatThrownBy(
            () -> asContainer.createApp(CreateAppRequest.newBuilder().setAppName("evil").build()))
        .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.PERMISSION_DENIED));
  }

  @Test
  void containerMayConnectOnlyAsItself() {
    createApp(def("f").setMinContainers(2).setMaxContainers(2));
    Remote a = awaitContainer(0);
    Remote b = awaitContainer(1);
    a.up.onNext(
        ContainerMessage.newBuilder()
            .setHello(
                ContainerHello.newBuilder()
                    .setContainerId(b.puppet.spec.containerId())
                    .setToken(b.puppet.env("SKIFF_TOKEN")))
            .build());
    await().atMost(Duration.ofSeconds(10)).until(() -> a.down.error != null);
    assertThat(codeOf(a.down.error)).isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  // ------------------------------------------------------------------------------ validation

  @Test
  void invalidAppsAreRefusedWithTheReason() {
    assertThatThrownBy(() -> createApp(def("f"), def("f")))
        .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .hasMessageContaining("defines function 'f' twice");
    assertThatThrownBy(() -> createApp(def("")))
        .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .hasMessageContaining("a function with no name");
    assertThatThrownBy(() -> createApp(def("f").setMinContainers(3).setMaxContainers(2)))
        .hasMessageContaining("min_containers (3) is more than max_containers (2)");
  }

  @Test
  void unknownThingsAreNotFoundByName() {
    String app = createApp(def("g"), def("f"));
    assertThatThrownBy(() -> client().call(call("ap-nope", "f", "x")))
        .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.NOT_FOUND))
        .hasMessageContaining("app 'ap-nope' not found");
    assertThatThrownBy(() -> client().call(call(app, "nope", "x")))
        .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.NOT_FOUND))
        .hasMessageContaining("function 'nope' not found in app 'test'")
        .hasMessageContaining("its functions: f, g");
    assertThatThrownBy(
            () -> client().getResult(GetResultRequest.newBuilder().setCallId("fc-nope").build()))
        .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.NOT_FOUND))
        .hasMessageContaining("function call 'fc-nope' not found");
  }

  // ------------------------------------------------------------------------------ calls

  @Test
  void callRoundTripsThroughAContainer() throws Exception {
    String app = createApp(def("f"));
    ListenableFuture<Result> result =
        ClientApiGrpc.newFutureStub(channel(plane.token())).call(call(app, "f", "World"));
    Remote c = awaitContainer(0).hello();
    Assignment a = c.awaitAssignments(1).get(0);
    assertThat(a.getArgs().toStringUtf8()).isEqualTo("World");
    assertThat(a.getAttempt()).isEqualTo(1);

    c.answer(a, "Hello, World!");

    assertThat(result.get(10, TimeUnit.SECONDS).getValue().toStringUtf8())
        .isEqualTo("Hello, World!");
  }

  @Test
  void spawnedCallIsFetchedByIdAndCannotBeCancelledOnceDone() throws Exception {
    String app = createApp(def("f"));
    String id = client().spawn(call(app, "f", "x")).getCallId();
    assertThat(id).matches("fc-[a-z2-7]{16}");

    GetResultResponse notYet =
        client().getResult(GetResultRequest.newBuilder().setCallId(id).build());
    assertThat(notYet.getDone()).isFalse();
    assertThat(notYet.getFunction().getName()).isEqualTo("f");

    ListenableFuture<GetResultResponse> waiting =
        ClientApiGrpc.newFutureStub(channel(plane.token()))
            .getResult(GetResultRequest.newBuilder().setCallId(id).setTimeoutMs(30_000).build());
    Remote c = awaitContainer(0).hello();
    c.answer(c.awaitAssignments(1).get(0), "done");

    GetResultResponse done = waiting.get(10, TimeUnit.SECONDS);
    assertThat(done.getDone()).isTrue();
    assertThat(done.getResult().getValue().toStringUtf8()).isEqualTo("done");
    assertThat(client().cancel(CancelRequest.newBuilder().setCallId(id).build()).getCancelled())
        .isFalse();
  }

  @Test
  void spawnManyStoresEachCallAndFailsOnlyTheBadOnes() {
    String app = createApp(def("f"));
    CallRequest good = call(app, "f", "x");
    SpawnManyResponse r =
        client()
            .spawnMany(
                SpawnManyRequest.newBuilder()
                    .addCalls(good)
                    .addCalls(good.toBuilder().setCallId("not an id"))
                    .addCalls(good.toBuilder().setCallId("fc-proposedbythisclient01"))
                    .addCalls(good)
                    .build());

    assertThat(r.getOutcomesList()).hasSize(4);
    assertThat(r.getOutcomes(0).getCallId()).matches("fc-[a-z2-7]{16}");
    assertThat(r.getOutcomes(1).getCallId()).isEmpty();
    assertThat(r.getOutcomes(1).getErrorCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
    assertThat(r.getOutcomes(1).getErrorMessage())
        .contains("is not a call id a client may propose");
    assertThat(r.getOutcomes(2).getCallId()).isEqualTo("fc-proposedbythisclient01");
    assertThat(r.getOutcomes(3).getCallId())
        .matches("fc-[a-z2-7]{16}")
        .isNotEqualTo(r.getOutcomes(0).getCallId());
    for (int i : new int[] {0, 2, 3}) {
      assertThat(
              client()
                  .getResult(
                      GetResultRequest.newBuilder().setCallId(r.getOutcomes(i).getCallId()).build())
                  .getFunction()
                  .getName())
          .isEqualTo("f");
    }
  }

  @Test
  void spawnManyRefusesMoreThanItsBoundAndCallsOfSeveralFunctions() {
    String app = createApp(def("f"), def("g"));
    SpawnManyRequest.Builder tooMany = SpawnManyRequest.newBuilder();
    for (int i = 0; i <= 1000; i++) {
      tooMany.addCalls(call(app, "f", "x"));
    }
    assertThatThrownBy(() -> client().spawnMany(tooMany.build()))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("INVALID_ARGUMENT")
        .hasMessageContaining("calls");
    assertThatThrownBy(
            () ->
                client()
                    .spawnMany(
                        SpawnManyRequest.newBuilder()
                            .addCalls(call(app, "f", "x"))
                            .addCalls(call(app, "g", "x"))
                            .build()))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("must name one function");
    assertThatThrownBy(() -> client().spawnMany(SpawnManyRequest.getDefaultInstance()))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("INVALID_ARGUMENT");
  }

  @Test
  void getResultTimesOutWithoutBlocking() {
    String app = createApp(def("f"));
    String id = client().spawn(call(app, "f", "x")).getCallId();
    GetResultResponse r =
        client().getResult(GetResultRequest.newBuilder().setCallId(id).setTimeoutMs(300).build());
    assertThat(r.getDone()).isFalse();

    assertThat(client().cancel(CancelRequest.newBuilder().setCallId(id).build()).getCancelled())
        .isTrue();
    GetResultResponse cancelled =
        client().getResult(GetResultRequest.newBuilder().setCallId(id).build());
    assertThat(cancelled.getDone()).isTrue();
    assertThat(cancelled.getResult().getError().getKind()).isEqualTo(ErrorKind.CANCELLED);
  }

  @Test
  void mapStreamsEveryResultOnceAndCompletes() {
    String app = createApp(def("f"));
    RecordingObserver<MapResponse> results = new RecordingObserver<>();
    StreamObserver<MapRequest> requests =
        ClientApiGrpc.newStub(channel(plane.token())).map(results);
    requests.onNext(
        MapRequest.newBuilder()
            .setFunction(FunctionRef.newBuilder().setAppId(app).setFunctionName("f"))
            .build());
    InputBatch.Builder batch = InputBatch.newBuilder();
    for (int i = 0; i < 6; i++) {
      batch.addInputs(
          IndexedArgs.newBuilder().setIndex(i).setArgs(ByteString.copyFromUtf8("in" + i)));
    }
    requests.onNext(MapRequest.newBuilder().setInputs(batch).build());
    requests.onNext(MapRequest.newBuilder().setEndOfInputs(true).build());

    Remote c = awaitContainer(0).hello();
    for (int answered = 0; answered < 6; ) {
      List<Assignment> assigned = c.awaitAssignments(Math.min(6, answered + 4));
      for (; answered < assigned.size(); answered++) {
        Assignment a = assigned.get(answered);
        c.answer(a, a.getArgs().toStringUtf8().replace("in", "out"));
      }
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> results.completed);
    List<IndexedResult> all =
        results.values.stream().flatMap(r -> r.getResultsList().stream()).toList();
    assertThat(all).hasSize(6);
    assertThat(all)
        .allSatisfy(
            r ->
                assertThat(r.getResult().getValue().toStringUtf8())
                    .isEqualTo("out" + r.getIndex()));
    requests.onCompleted();
  }

  @Test
  void generatorStreamsItemsThenDone() {
    String app = createApp(def("g").setGenerator(true));
    RecordingObserver<GenerateResponse> responses = new RecordingObserver<>();
    StreamObserver<GenerateRequest> requests =
        ClientApiGrpc.newStub(channel(plane.token())).generate(responses);
    requests.onNext(GenerateRequest.newBuilder().setStart(call(app, "g", "3")).build());
    requests.onNext(GenerateRequest.newBuilder().setCredit(10).build());

    Remote c = awaitContainer(0).hello();
    Assignment a = c.awaitAssignments(1).get(0);
    for (String item : List.of("0", "1", "2")) {
      c.up.onNext(
          ContainerMessage.newBuilder()
              .setItem(
                  GeneratorItem.newBuilder()
                      .setInputId(a.getInputId())
                      .setAttempt(a.getAttempt())
                      .setItem(ByteString.copyFromUtf8(item)))
              .build());
    }
    c.answer(a, "");

    await().atMost(Duration.ofSeconds(10)).until(() -> responses.completed);
    assertThat(
            responses.values.stream()
                .filter(GenerateResponse::hasItem)
                .map(r -> r.getItem().toStringUtf8()))
        .containsExactly("0", "1", "2");
    assertThat(responses.values.get(responses.values.size() - 1).hasDone()).isTrue();
    requests.onCompleted();
  }

  @Test
  void stoppingTheAppCancelsItsCallsAndStopsItsContainers() throws Exception {
    String app = createApp(def("f"));
    ListenableFuture<Result> pending =
        ClientApiGrpc.newFutureStub(channel(plane.token())).call(call(app, "f", "x"));
    Remote c = awaitContainer(0).hello();
    c.awaitAssignments(1);

    client().stopApp(StopAppRequest.newBuilder().setAppId(app).build());

    Result r = pending.get(10, TimeUnit.SECONDS);
    assertThat(r.getError().getKind()).isEqualTo(ErrorKind.CANCELLED);
    assertThat(r.getError().getMessage()).isEqualTo("app stopped");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> c.down.values.stream().anyMatch(ControlMessage::hasShutdown));
    await().atMost(Duration.ofSeconds(10)).until(() -> !c.puppet.isAlive());
    assertThatThrownBy(() -> client().stopApp(StopAppRequest.newBuilder().setAppId(app).build()))
        .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.NOT_FOUND));
  }

  @Test
  void logsOfAnAppStreamToEverySubscriber() {
    String app = createApp(def("f").setMinContainers(1));
    RecordingObserver<LogLine> first = new RecordingObserver<>();
    RecordingObserver<LogLine> second = new RecordingObserver<>();
    ClientApiGrpc.newStub(channel(plane.token()))
        .streamLogs(StreamLogsRequest.newBuilder().setAppId(app).build(), first);
    ClientApiGrpc.newStub(channel(plane.token()))
        .streamLogs(StreamLogsRequest.newBuilder().setAppId(app).build(), second);
    Remote c = awaitContainer(0);

    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              c.puppet.output.line(false, "hello from the container");
              return !first.values.isEmpty() && !second.values.isEmpty();
            });
    LogLine line = first.values.get(0);
    assertThat(line.getText()).isEqualTo("hello from the container");
    assertThat(line.getFunctionName()).isEqualTo("f");
    assertThat(line.getContainerId()).isEqualTo(c.puppet.spec.containerId());
    assertThat(line.getStderr()).isFalse();

    client().stopApp(StopAppRequest.newBuilder().setAppId(app).build());
    await().atMost(Duration.ofSeconds(10)).until(() -> first.completed && second.completed);
  }

  @Test
  void cancelledCallIsCancelledInItsContainer() {
    String app = createApp(def("f"));
    ListenableFuture<Result> pending =
        ClientApiGrpc.newFutureStub(channel(plane.token())).call(call(app, "f", "x"));
    Remote c = awaitContainer(0).hello();
    Assignment a = c.awaitAssignments(1).get(0);

    pending.cancel(true);

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> c.down.values.stream().anyMatch(ControlMessage::hasCancel));
    ControlMessage cancel =
        c.down.values.stream().filter(ControlMessage::hasCancel).findFirst().orElseThrow();
    assertThat(cancel.getCancel().getInputId()).isEqualTo(a.getInputId());
    assertThat(cancel.getCancel().getAttempt()).isEqualTo(a.getAttempt());
  }

  @Test
  void cancelledMapCancelsItsOutstandingInputs() {
    String app = createApp(def("f").setConcurrentInputs(1));
    RecordingObserver<MapResponse> results = new RecordingObserver<>();
    AtomicReference<ClientCallStreamObserver<MapRequest>> stream = new AtomicReference<>();
    ClientApiGrpc.newStub(channel(plane.token()))
        .map(
            new ClientResponseObserver<MapRequest, MapResponse>() {
              @Override
              public void beforeStart(ClientCallStreamObserver<MapRequest> s) {
                stream.set(s);
              }

              @Override
              public void onNext(MapResponse value) {
                results.onNext(value);
              }

              @Override
              public void onError(Throwable t) {
                results.onError(t);
              }

              @Override
              public void onCompleted() {
                results.onCompleted();
              }
            });
    stream
        .get()
        .onNext(
            MapRequest.newBuilder()
                .setFunction(FunctionRef.newBuilder().setAppId(app).setFunctionName("f"))
                .build());
    stream
        .get()
        .onNext(
            MapRequest.newBuilder()
                .setInputs(
                    InputBatch.newBuilder()
                        .addInputs(IndexedArgs.newBuilder().setIndex(0))
                        .addInputs(IndexedArgs.newBuilder().setIndex(1)))
                .build());
    Remote c = awaitContainer(0).hello();
    c.awaitAssignments(1);

    stream.get().cancel("the caller lost interest", null);

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> c.down.values.stream().anyMatch(ControlMessage::hasCancel));
    assertThat(results.values).isEmpty();
  }

  @Test
  void keptLinesAreReadAfterTheFactThenFollowed() {
    String app = createApp(def("f").setMinContainers(1));
    Remote c = awaitContainer(0);
    String container = c.puppet.spec.containerId();
    c.puppet.output.line(false, "one");
    c.puppet.output.line(true, "two");
    c.puppet.output.line(false, "three");
    await().atMost(Duration.ofSeconds(10)).until(() -> texts(keptLines(app, "", 100)).size() == 3);

    RecordingObserver<LogLine> all = keptLines(app, "", 100);
    assertThat(texts(all)).containsExactly("one", "two", "three");
    assertThat(all.values.get(1).getStderr()).isTrue();
    assertThat(all.values.get(0).getContainerId()).isEqualTo(container);
    assertThat(all.values.get(0).getTimestampMs()).isPositive();
    assertThat(texts(keptLines(app, "", 2))).containsExactly("two", "three");
    assertThat(texts(keptLines("", container, 1))).containsExactly("three");
    long last = all.values.get(2).getTimestampMs();
    assertThat(texts(keptLines(app, "", 100, all.values.get(0).getTimestampMs())))
        .containsExactly("one", "two", "three");
    assertThat(texts(keptLines(app, "", 100, last))).endsWith("three");
    assertThat(texts(keptLines(app, "", 100, last + 1))).isEmpty();

    // Kept lines first, then the live ones, each once.
    RecordingObserver<LogLine> follow = new RecordingObserver<>();
    ClientApiGrpc.newStub(channel(plane.token()))
        .streamLogs(StreamLogsRequest.newBuilder().setAppId(app).setTail(1).build(), follow);
    await().atMost(Duration.ofSeconds(10)).until(() -> texts(follow).equals(List.of("three")));
    c.puppet.output.line(false, "four");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> texts(follow).equals(List.of("three", "four")));

    client().stopApp(StopAppRequest.newBuilder().setAppId(app).build());
    await().atMost(Duration.ofSeconds(10)).until(() -> follow.completed);
  }

  @Test
  void logsOfAnUnknownContainerAreNotFound() {
    RecordingObserver<LogLine> lines = new RecordingObserver<>();
    ClientApiGrpc.newStub(channel(plane.token()))
        .streamLogs(
            StreamLogsRequest.newBuilder().setContainerId("c-nope").setTail(10).build(), lines);
    await().atMost(Duration.ofSeconds(10)).until(() -> lines.error != null);
    assertThat(codeOf(lines.error)).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(lines.error).hasMessageContaining("container 'c-nope' not found");
  }

  @Test
  void stoppedContainerIsToldToShutDownAndReplacedForItsMinimum() {
    String app = createApp(def("f").setMinContainers(1));
    Remote c = awaitContainer(0).hello();
    String container = c.puppet.spec.containerId();
    // Its hello travels on another connection: stop it once the control plane has seen it ready,
    // so that it is told to shut down (a container that never connected is only signalled).
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                client()
                    .getAppStatus(AppStatusRequest.newBuilder().setAppId(app).build())
                    .getFunctionsList()
                    .stream()
                    .flatMap(f -> f.getContainersList().stream())
                    .anyMatch(
                        s ->
                            s.getContainerId().equals(container)
                                && s.getState() == ContainerState.CONTAINER_IDLE));

    StopContainerResponse stopped =
        client().stopContainer(StopContainerRequest.newBuilder().setContainerId(container).build());
    assertThat(stopped.getAppId()).isEqualTo(app);
    assertThat(stopped.getFunctionName()).isEqualTo("f");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> c.down.values.stream().anyMatch(ControlMessage::hasShutdown));
    Remote replacement = awaitContainer(1);
    assertThat(replacement.puppet.spec.containerId()).isNotEqualTo(container);

    assertThatThrownBy(
            () ->
                client()
                    .stopContainer(
                        StopContainerRequest.newBuilder().setContainerId("c-nope").build()))
        .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.NOT_FOUND))
        .hasMessageContaining("container 'c-nope' not found");
  }

  private RecordingObserver<LogLine> keptLines(String app, String container, int tail) {
    return keptLines(app, container, tail, 0);
  }

  private RecordingObserver<LogLine> keptLines(
      String app, String container, int tail, long sinceMs) {
    RecordingObserver<LogLine> lines = new RecordingObserver<>();
    ClientApiGrpc.newStub(channel(plane.token()))
        .streamLogs(
            StreamLogsRequest.newBuilder()
                .setAppId(app)
                .setContainerId(container)
                .setTail(tail)
                .setSinceMs(sinceMs)
                .setKeptOnly(true)
                .build(),
            lines);
    await().atMost(Duration.ofSeconds(10)).until(() -> lines.completed || lines.error != null);
    assertThat(lines.error).isNull();
    return lines;
  }

  private static List<String> texts(RecordingObserver<LogLine> lines) {
    return List.copyOf(lines.values).stream().map(LogLine::getText).toList();
  }

  @Test
  void logsOfAnUnknownAppAreNotFound() {
    RecordingObserver<LogLine> lines = new RecordingObserver<>();
    ClientApiGrpc.newStub(channel(plane.token()))
        .streamLogs(StreamLogsRequest.newBuilder().setAppId("ap-nope").build(), lines);
    await().atMost(Duration.ofSeconds(10)).until(() -> lines.error != null);
    assertThat(codeOf(lines.error)).isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void callsFromAStoppedAppAreRefused() {
    String app = createApp(def("f"));
    client().stopApp(StopAppRequest.newBuilder().setAppId(app).build());
    assertThatThrownBy(() -> client().call(call(app, "f", "x")))
        .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.NOT_FOUND));
  }
}
