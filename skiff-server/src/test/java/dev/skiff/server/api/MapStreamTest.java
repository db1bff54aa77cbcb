package dev.skiff.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.skiff.internal.spi.EmbeddedConfig;
import dev.skiff.internal.spi.NodeConfig;
import dev.skiff.proto.Assignment;
import dev.skiff.proto.ControlMessage;
import dev.skiff.proto.ErrorKind;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.FunctionRef;
import dev.skiff.proto.IndexedArgs;
import dev.skiff.proto.IndexedResult;
import dev.skiff.proto.InputBatch;
import dev.skiff.proto.MapRequest;
import dev.skiff.proto.MapResponse;
import dev.skiff.proto.Output;
import dev.skiff.proto.Result;
import dev.skiff.server.activity.Activity;
import dev.skiff.server.auth.Tokens;
import dev.skiff.server.backend.local.NodeCapacity;
import dev.skiff.server.common.Bounds;
import dev.skiff.server.logs.LogFanout;
import dev.skiff.server.metrics.Metrics;
import dev.skiff.server.runtime.AppSpec;
import dev.skiff.server.runtime.Container;
import dev.skiff.server.runtime.ContainerChannel;
import dev.skiff.server.runtime.ContainerEndpoint;
import dev.skiff.server.runtime.ControlPlaneConfig;
import dev.skiff.server.runtime.FunctionScheduler;
import dev.skiff.server.runtime.SchedulerContext;
import dev.skiff.server.scaling.DemandAutoscaler;
import dev.skiff.server.scaling.WarmPool;
import dev.skiff.server.testing.FakeBackend;
import dev.skiff.server.testing.FakeClock;
import dev.skiff.server.testing.FakeServerStream;
import dev.skiff.server.testing.FakeTimer;
import dev.skiff.server.testing.RecordingObserver;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A map call against a scheduler with one puppet container, without gRPC. */
class MapStreamTest {
  private final FakeClock clock = new FakeClock();
  private final FakeBackend backend = new FakeBackend();
  private final ConcurrentHashMap<String, Container> containers = new ConcurrentHashMap<>();
  private final FunctionScheduler function =
      new FunctionScheduler(
          new AppSpec("ap-test", "app", List.of("/app.jar")),
          FunctionDef.newBuilder()
              .setName("f")
              .setClassName("C")
              .setMethodName("f")
              .setConcurrentInputs(5000)
              .setMaxContainers(1)
              .build(),
          new SchedulerContext(
              ControlPlaneConfig.from(EmbeddedConfig.defaults()),
              clock,
              clock,
              new FakeTimer(clock),
              Runnable::run,
              backend,
              Tokens.random(),
              containers,
              new LogFanout(),
              new DemandAutoscaler(),
              () -> new ContainerEndpoint(Path.of("/tmp/test-control.sock")),
              new AtomicLong(),
              WarmPool.disabled(),
              new NodeCapacity(NodeConfig.detect()),
              Metrics.create(),
              new Activity(Clock.systemUTC())));
  private final FakeServerStream<MapResponse> out = new FakeServerStream<>();
  private final MapStream map = new MapStream(ref -> function, out);
  private final RecordingObserver<ControlMessage> down = new RecordingObserver<>();
  private Container container;

  private void begin() {
    map.start();
    map.onNext(MapRequest.newBuilder().setFunction(FunctionRef.getDefaultInstance()).build());
  }

  private void send(int from, int to) {
    InputBatch.Builder batch = InputBatch.newBuilder();
    for (int i = from; i < to; i++) {
      batch.addInputs(
          IndexedArgs.newBuilder().setIndex(i).setArgs(ByteString.copyFromUtf8("" + i)));
    }
    map.onNext(MapRequest.newBuilder().setInputs(batch).build());
  }

  private List<Assignment> connect() {
    container = containers.get(backend.last().spec.containerId());
    function.attach(container, new ContainerChannel(container.id, down));
    function.onReady(container);
    return assignments();
  }

  private List<Assignment> assignments() {
    return down.values.stream()
        .flatMap(m -> m.getAssignments().getAssignmentsList().stream())
        .toList();
  }

  private void answer(List<Assignment> assignments) {
    function.onOutputs(
        container,
        assignments.stream()
            .map(
                a ->
                    Output.newBuilder()
                        .setInputId(a.getInputId())
                        .setAttempt(a.getAttempt())
                        .setResult(Result.newBuilder().setValue(a.getArgs()))
                        .build())
            .toList());
  }

  private List<IndexedResult> results() {
    return out.sent.stream().flatMap(r -> r.getResultsList().stream()).toList();
  }

  @Test
  void resultsOfOneContainerMessageGoOutInBatchesOfAThousand() {
    begin();
    send(0, 2500);
    map.onNext(MapRequest.newBuilder().setEndOfInputs(true).build());
    answer(connect());

    assertThat(out.sent).extracting(MapResponse::getResultsCount).containsExactly(1000, 1000, 500);
    assertThat(results())
        .allSatisfy(
            r -> assertThat(r.getResult().getValue().toStringUtf8()).isEqualTo("" + r.getIndex()));
    assertThat(out.completed).isTrue();
    assertThat(out.autoRequest).isFalse();
  }

  @Test
  void resultsWaitWhileTheClientHasNoRoom() {
    begin();
    send(0, 3);
    List<Assignment> assigned = connect();
    out.ready = false;
    answer(assigned);
    assertThat(out.sent).isEmpty();

    out.becomeReady();
    assertThat(results()).hasSize(3);
    assertThat(out.completed).isFalse(); // the inputs have not ended
    map.onCompleted(); // a half-close ends them too
    assertThat(out.completed).isTrue();
  }

  @Test
  void readingPausesWhileTooManyInputsAreUnanswered() {
    begin();
    int sent = 0;
    int before;
    do {
      before = out.requested;
      send(sent, sent + Bounds.MAX_INPUTS_PER_MAP_MESSAGE);
      sent += Bounds.MAX_INPUTS_PER_MAP_MESSAGE;
    } while (out.requested > before);
    assertThat(sent).isGreaterThanOrEqualTo(MapStream.MAX_UNANSWERED); // no room for another
    connect();
    int answered = 0;
    while (sent - answered >= MapStream.MAX_UNANSWERED / 2) { // 5000 slots: answer in rounds
      List<Assignment> all = assignments();
      assertThat(out.requested).isEqualTo(before);
      answer(all.subList(answered, all.size()));
      answered = all.size();
    }
    assertThat(out.requested).isEqualTo(before + 1);
  }

  @Test
  void aMessageWithTooManyInputsIsRefusedBeforeAnyIsQueued() {
    begin();
    send(0, Bounds.MAX_INPUTS_PER_MAP_MESSAGE + 1);

    Status status = Status.fromThrowable(out.error);
    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(status.getDescription())
        .contains("holds " + (Bounds.MAX_INPUTS_PER_MAP_MESSAGE + 1) + " inputs")
        .contains("at most " + Bounds.MAX_INPUTS_PER_MAP_MESSAGE + " inputs per MapRequest");
    assertThat(function.status().getQueuedInputs()).isZero();
    assertThat(backend.started).isEmpty(); // nothing was asked of the function
  }

  @Test
  void cancellingTheCallCancelsEveryOutstandingInput() {
    begin();
    send(0, 3);
    connect();
    out.cancelByClient();

    assertThat(down.values.stream().filter(ControlMessage::hasCancel)).hasSize(3);
    assertThat(out.sent).isEmpty();
  }

  @Test
  void inputsBeforeTheFunctionAreRefused() {
    map.start();
    send(0, 1);
    assertThat(Status.fromThrowable(out.error).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(Status.fromThrowable(out.error).getDescription()).contains("must name the function");
  }

  @Test
  void cancelledResultsStillCountAsAnswers() {
    begin();
    send(0, 2);
    map.onNext(MapRequest.newBuilder().setEndOfInputs(true).build());
    function.close("app stopped");
    assertThat(results())
        .extracting(r -> r.getResult().getError().getKind())
        .containsOnly(ErrorKind.CANCELLED);
    assertThat(out.completed).isTrue();
  }
}
