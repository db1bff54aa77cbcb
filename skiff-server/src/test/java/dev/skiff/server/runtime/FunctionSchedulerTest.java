package dev.skiff.server.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.google.protobuf.ByteString;
import dev.skiff.internal.spi.NodeConfig;
import dev.skiff.proto.Assignment;
import dev.skiff.proto.ContainerState;
import dev.skiff.proto.ContainerStatus;
import dev.skiff.proto.ControlMessage;
import dev.skiff.proto.ErrorInfo;
import dev.skiff.proto.ErrorKind;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.FunctionStatus;
import dev.skiff.proto.GeneratorItem;
import dev.skiff.proto.Output;
import dev.skiff.proto.Result;
import dev.skiff.proto.RetryPolicy;
import dev.skiff.server.activity.Activity;
import dev.skiff.server.auth.Principal;
import dev.skiff.server.auth.Tokens;
import dev.skiff.server.backend.ClasspathEntry;
import dev.skiff.server.backend.ResourceRequest.GpuChoice;
import dev.skiff.server.backend.Resources;
import dev.skiff.server.backend.local.NodeCapacity;
import dev.skiff.server.logs.LogFanout;
import dev.skiff.server.metrics.FunctionMeters;
import dev.skiff.server.metrics.Metrics;
import dev.skiff.server.scaling.DemandAutoscaler;
import dev.skiff.server.scaling.WarmPool;
import dev.skiff.server.testing.FakeBackend;
import dev.skiff.server.testing.FakeClock;
import dev.skiff.server.testing.FakeTimer;
import dev.skiff.server.testing.RecordingObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The scheduler against puppet containers and a fake clock: every timer and every container event
 * is driven by the test, so each rule is checked exactly.
 */
class FunctionSchedulerTest {
  // The monotonic clock, which the timer moves, and the wall clock, which only the clock-step test
  // moves.
  private final FakeClock clock = new FakeClock();
  private final FakeClock wall = new FakeClock();
  private final FakeTimer timer = new FakeTimer(clock);
  private final FakeBackend backend = new FakeBackend();
  private final ConcurrentHashMap<String, Container> containers = new ConcurrentHashMap<>();
  private final Tokens tokens = Tokens.random();
  private final Metrics metrics = Metrics.create();
  private final ControlPlaneConfig config =
      new ControlPlaneConfig(
          4,
          Duration.ofSeconds(60),
          Duration.ofSeconds(300),
          Duration.ofSeconds(10),
          Duration.ofSeconds(2),
          Duration.ofSeconds(2),
          Duration.ofSeconds(1),
          3,
          Duration.ofSeconds(30),
          0,
          Path.of("target", "test-data"));
  private final NodeCapacity capacity =
      new NodeCapacity(
          new NodeConfig(4, 8192, NodeConfig.DEFAULT_REGION, List.of("A100", "A100", "T4")));
  private final SchedulerContext ctx =
      new SchedulerContext(
          config,
          wall,
          clock,
          timer,
          Runnable::run,
          backend,
          tokens,
          containers,
          new LogFanout(),
          new DemandAutoscaler(),
          () -> new ContainerEndpoint(Path.of("/tmp/test-control.sock")),
          new AtomicLong(),
          WarmPool.disabled(),
          capacity,
          metrics,
          new Activity(clock));

  private static FunctionDef.Builder def() {
    return FunctionDef.newBuilder()
        .setName("f")
        .setClassName("com.example.Hello")
        .setMethodName("hello")
        .setMethodDescriptor("(Ljava/lang/String;)Ljava/lang/String;")
        .setConcurrentInputs(1)
        .setMaxContainers(2);
  }

  private FunctionScheduler function(FunctionDef.Builder def) {
    return new FunctionScheduler(
        new AppSpec("ap-test", "hello-app", List.of("/app.jar")), def.build(), ctx);
  }

  // ------------------------------------------------------------------------------ harness

  /** Collects what an input's listener receives. */
  static final class Sink implements InputListener {
    final List<Result> results = new CopyOnWriteArrayList<>();
    final List<ByteString> items = new CopyOnWriteArrayList<>();

    @Override
    public void onItem(ByteString item) {
      items.add(item);
    }

    @Override
    public void onResult(Result result) {
      results.add(result);
    }

    Result only() {
      assertThat(results).hasSize(1);
      return results.get(0);
    }
  }

  /** A puppet container with its control stream attached. */
  record Simulated(
      FakeBackend.Puppet puppet, Container container, RecordingObserver<ControlMessage> down) {
    List<Assignment> assignments() {
      return down.values.stream()
          .filter(ControlMessage::hasAssignments)
          .flatMap(m -> m.getAssignments().getAssignmentsList().stream())
          .toList();
    }

    List<ControlMessage> cancels() {
      return down.values.stream().filter(ControlMessage::hasCancel).toList();
    }

    boolean toldToShutDown() {
      return down.values.stream().anyMatch(ControlMessage::hasShutdown);
    }
  }

  private Simulated connect(FunctionScheduler f, FakeBackend.Puppet puppet, boolean ready) {
    Container c = containers.get(puppet.spec.containerId());
    RecordingObserver<ControlMessage> down = new RecordingObserver<>();
    assertThat(f.attach(c, new ContainerChannel(c.id, down))).isTrue();
    if (ready) {
      f.onReady(c);
    }
    return new Simulated(puppet, c, down);
  }

  /** Lets time pass second by second, with heartbeats from {@code alive} and the periodic tick. */
  private void live(FunctionScheduler f, Duration d, Simulated... alive) {
    for (long i = 0; i < d.toSeconds(); i++) {
      timer.advance(Duration.ofSeconds(1));
      for (Simulated c : alive) {
        f.onHeartbeat(c.container);
      }
      f.tick();
    }
  }

  private static Output output(Assignment a, Result r) {
    return Output.newBuilder()
        .setInputId(a.getInputId())
        .setAttempt(a.getAttempt())
        .setResult(r)
        .build();
  }

  private static Result value(String s) {
    return Result.newBuilder().setValue(ByteString.copyFromUtf8(s)).build();
  }

  private static Result userError(String message) {
    return Result.newBuilder()
        .setError(
            ErrorInfo.newBuilder()
                .setKind(ErrorKind.USER_EXCEPTION)
                .setClassName("java.lang.IllegalStateException")
                .setMessage(message))
        .build();
  }

  private Sink submit(FunctionScheduler f, String args) {
    Sink sink = new Sink();
    f.submit(f.newInput(ByteString.copyFromUtf8(args), sink));
    return sink;
  }

  // ------------------------------------------------------------------------------ tests

  @Test
  void containerGetsTheContractEnvironment() {
    FunctionScheduler f = function(def().setConcurrentInputs(3));
    submit(f, "a");

    FakeBackend.Puppet p = backend.last();
    assertThat(p.spec.classpath()).containsExactly(new ClasspathEntry.HostPath("/app.jar"));
    assertThat(p.env("SKIFF_SERVER")).isEqualTo("unix:/tmp/test-control.sock");
    assertThat(p.spec.reach().controlSocket()).contains(Path.of("/tmp/test-control.sock"));
    assertThat(p.spec.reach().network()).isTrue();
    assertThat(p.spec.reach().gpus()).isEmpty();
    assertThat(p.spec.reach().holdsSecrets()).isFalse();
    assertThat(p.env("SKIFF_CONTAINER_ID"))
        .isEqualTo(p.spec.containerId())
        .matches("c-[a-z2-7]{12}");
    assertThat(tokens.authenticate(p.env("SKIFF_TOKEN")))
        .contains(new Principal.Container(p.spec.containerId(), "ap-test"));
    assertThat(p.env("SKIFF_APP_ID")).isEqualTo("ap-test");
    assertThat(p.env("SKIFF_APP_NAME")).isEqualTo("hello-app");
    assertThat(p.env("SKIFF_FUNCTION_NAME")).isEqualTo("f");
    assertThat(p.env("SKIFF_FUNCTION_CLASS")).isEqualTo("com.example.Hello");
    assertThat(p.env("SKIFF_FUNCTION_METHOD")).isEqualTo("hello");
    assertThat(p.env("SKIFF_FUNCTION_DESCRIPTOR"))
        .isEqualTo("(Ljava/lang/String;)Ljava/lang/String;");
    assertThat(p.env("SKIFF_GENERATOR")).isEqualTo("false");
    assertThat(p.env("SKIFF_CONCURRENT_INPUTS")).isEqualTo("3");
  }

  @Test
  void readyContainerGetsSeveralInputsInOneBatch() {
    FunctionScheduler f = function(def().setConcurrentInputs(3).setMaxContainers(1));
    Sink a = submit(f, "a");
    Sink b = submit(f, "b");
    assertThat(backend.started).hasSize(1);

    Simulated c = connect(f, backend.last(), true);

    assertThat(c.down.values).hasSize(1);
    List<Assignment> assigned = c.assignments();
    assertThat(assigned).extracting(Assignment::getAttempt).containsExactly(1, 1);
    assertThat(assigned).extracting(x -> x.getArgs().toStringUtf8()).containsExactly("a", "b");

    f.onOutputs(
        c.container,
        List.of(output(assigned.get(1), value("B")), output(assigned.get(0), value("A"))));
    assertThat(a.only().getValue().toStringUtf8()).isEqualTo("A");
    assertThat(b.only().getValue().toStringUtf8()).isEqualTo("B");
  }

  @Test
  void startsContainersForWaitingInputsUpToTheCap() {
    FunctionScheduler f = function(def().setConcurrentInputs(2).setMaxContainers(2));
    for (int i = 0; i < 3; i++) {
      submit(f, "x" + i);
    }
    assertThat(backend.started).hasSize(2); // ceil(3 / 2)

    for (int i = 0; i < 10; i++) {
      submit(f, "y" + i);
    }
    assertThat(backend.started).hasSize(2); // capped
    assertThat(f.load().queued()).isEqualTo(13);
  }

  @Test
  void lateOutputOfSupersededAttemptIsDiscarded() {
    FunctionScheduler f =
        function(def().setTimeoutMs(2000).setRetries(RetryPolicy.newBuilder().setMaxRetries(1)));
    Sink sink = submit(f, "a");
    Simulated first = connect(f, backend.last(), true);
    Assignment attempt1 = first.assignments().get(0);

    timer.advance(Duration.ofSeconds(2)); // attempt 1 times out and is retried at once

    assertThat(first.cancels()).hasSize(1);
    assertThat(sink.results).isEmpty();
    assertThat(backend.started).hasSize(2); // the first container's slot is still taken
    Simulated second = connect(f, backend.last(), true);
    Assignment attempt2 = second.assignments().get(0);
    assertThat(attempt2.getInputId()).isEqualTo(attempt1.getInputId());
    assertThat(attempt2.getAttempt()).isEqualTo(2);

    f.onOutputs(first.container, List.of(output(attempt1, value("late"))));
    assertThat(sink.results).isEmpty();

    f.onOutputs(second.container, List.of(output(attempt2, value("fresh"))));
    f.onOutputs(second.container, List.of(output(attempt2, value("duplicate"))));
    assertThat(sink.only().getValue().toStringUtf8()).isEqualTo("fresh");
  }

  @Test
  void metersCountEachInputOnceAndEachAttemptsWaitTimeoutAndRetry() {
    // Held as a redeployed version would, so that the series outlive this scheduler's close.
    FunctionMeters held = metrics.function("hello-app", "f");
    FunctionScheduler f =
        function(def().setTimeoutMs(2000).setRetries(RetryPolicy.newBuilder().setMaxRetries(1)));
    Sink a = submit(f, "a");
    timer.advance(Duration.ofMillis(300)); // its container starts meanwhile
    Simulated first = connect(f, backend.last(), true);
    timer.advance(Duration.ofSeconds(2)); // attempt 1 times out and is retried at once
    Simulated second = connect(f, backend.last(), true);
    Assignment retry = second.assignments().get(0);
    assertThat(retry.getAttempt()).isEqualTo(2);
    f.onOutputs(second.container, List.of(output(retry, value("A"))));
    assertThat(a.only().hasValue()).isTrue();
    Sink b = submit(f, "b"); // sent to the second container at once
    f.close("the test ends");
    assertThat(b.only().getError().getKind()).isEqualTo(ErrorKind.CANCELLED);
    assertThat(first.container.id).isNotEqualTo(second.container.id);

    String text = metrics.scrape();
    String tags = "{app=\"hello-app\",function=\"f\"}";
    assertThat(text)
        .contains("skiff_inputs_started_total" + tags + " 2.0")
        .contains("skiff_inputs_timed_out_total" + tags + " 1.0")
        .contains("skiff_inputs_retried_total" + tags + " 1.0")
        .contains("skiff_inputs_succeeded_total" + tags + " 1.0")
        .contains("skiff_inputs_failed_total" + tags + " 0.0")
        .contains("skiff_inputs_cancelled_total" + tags + " 1.0")
        .contains("skiff_cold_starts_total" + tags + " 2.0")
        .contains("skiff_input_duration_seconds_count" + tags + " 1")
        // "a" waited 300 ms; its retry and "b" did not wait.
        .contains("skiff_input_queue_wait_seconds_count" + tags + " 3")
        .contains(
            "skiff_input_queue_wait_seconds_bucket{app=\"hello-app\",function=\"f\",le=\"0.25\"} 2");
    held.close();
    assertThat(metrics.scrape()).doesNotContain("hello-app");
  }

  @Test
  void timedOutAttemptFailsThenItsContainerIsKilledIfItDoesNotStop() {
    FunctionScheduler f = function(def().setTimeoutMs(2000));
    Sink sink = submit(f, "a");
    Simulated c = connect(f, backend.last(), true);

    timer.advance(Duration.ofSeconds(2));

    ErrorInfo error = sink.only().getError();
    assertThat(error.getKind()).isEqualTo(ErrorKind.TIMEOUT);
    assertThat(error.getMessage()).isEqualTo("function 'f' timed out after 2s (attempt 1 of 1)");
    assertThat(error.getAttempts()).isEqualTo(1);
    assertThat(c.cancels()).hasSize(1);
    assertThat(c.puppet.killed).isFalse();

    timer.advance(Duration.ofSeconds(2));
    assertThat(c.puppet.killed).isTrue();
    assertThat(sink.results).hasSize(1);
    assertThat(containers).doesNotContainKey(c.container.id);
  }

  @Test
  void timedOutAttemptIsRetriedWithBackoff() {
    FunctionScheduler f =
        function(
            def()
                .setTimeoutMs(60_000)
                .setRetries(
                    RetryPolicy.newBuilder()
                        .setMaxRetries(2)
                        .setInitialDelayMs(1000)
                        .setBackoffCoefficient(2.0)
                        .setMaxDelayMs(60_000)));
    Sink sink = submit(f, "a");
    Simulated c = connect(f, backend.last(), true);

    f.onOutputs(c.container, List.of(output(c.assignments().get(0), userError("boom 1"))));
    timer.advance(Duration.ofMillis(999));
    assertThat(c.assignments()).hasSize(1);
    timer.advance(Duration.ofMillis(1));
    assertThat(c.assignments()).hasSize(2);
    assertThat(c.assignments().get(1).getAttempt()).isEqualTo(2);

    f.onOutputs(c.container, List.of(output(c.assignments().get(1), userError("boom 2"))));
    timer.advance(Duration.ofMillis(1999));
    assertThat(c.assignments()).hasSize(2);
    timer.advance(Duration.ofMillis(1));
    assertThat(c.assignments()).hasSize(3);

    f.onOutputs(c.container, List.of(output(c.assignments().get(2), userError("boom 3"))));
    ErrorInfo error = sink.only().getError();
    assertThat(error.getMessage()).isEqualTo("boom 3");
    assertThat(error.getAttempts()).isEqualTo(3);
    assertThat(error.getContainerId()).isEqualTo(c.container.id);
  }

  @Test
  void crashedContainerFailsItsInputWithExitAndStderr() {
    FunctionScheduler f = function(def());
    Sink sink = submit(f, "a");
    Simulated c = connect(f, backend.last(), true);

    c.puppet.writeStderr(
        "Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space");
    c.puppet.exit(137);

    ErrorInfo error = sink.only().getError();
    assertThat(error.getKind()).isEqualTo(ErrorKind.CONTAINER_CRASHED);
    assertThat(error.getMessage())
        .contains("ran out of memory")
        .contains("killed by signal 9 (SIGKILL)")
        .contains("java.lang.OutOfMemoryError: Java heap space");
    assertThat(error.getContainerId()).isEqualTo(c.container.id);
  }

  @Test
  void crashedContainerIsReplacedAndTheInputRetried() {
    FunctionScheduler f = function(def().setRetries(RetryPolicy.newBuilder().setMaxRetries(1)));
    Sink sink = submit(f, "a");
    Simulated first = connect(f, backend.last(), true);

    first.puppet.exit(3);

    assertThat(sink.results).isEmpty();
    assertThat(backend.started).hasSize(2);
    Simulated second = connect(f, backend.last(), true);
    Assignment retry = second.assignments().get(0);
    assertThat(retry.getAttempt()).isEqualTo(2);
    f.onOutputs(second.container, List.of(output(retry, value("ok"))));
    assertThat(sink.only().getValue().toStringUtf8()).isEqualTo("ok");
  }

  @Test
  void cancelledInputsFinishOnceAndTheirContainerIsTold() {
    FunctionScheduler f = function(def().setMaxContainers(1));
    Sink running = new Sink();
    Input runningInput = f.newInput(ByteString.copyFromUtf8("a"), running);
    f.submit(runningInput);
    Sink queued = new Sink();
    Input queuedInput = f.newInput(ByteString.copyFromUtf8("b"), queued);
    f.submit(queuedInput);
    Simulated c = connect(f, backend.last(), true);

    assertThat(f.cancel(queuedInput, "no longer needed")).isTrue();
    assertThat(f.cancel(runningInput, "no longer needed")).isTrue();
    assertThat(f.cancel(runningInput, "again")).isFalse();

    assertThat(queued.only().getError().getKind()).isEqualTo(ErrorKind.CANCELLED);
    assertThat(running.only().getError().getMessage()).isEqualTo("no longer needed");
    assertThat(c.cancels()).hasSize(1);
    f.onOutputs(c.container, List.of(output(c.assignments().get(0), value("too late"))));
    assertThat(running.results).hasSize(1);
  }

  @Test
  void idleContainersStopAfterTheScaledownWindowButMinStays() {
    FunctionScheduler f =
        function(def().setMinContainers(1).setMaxContainers(3).setScaledownWindowMs(60_000));
    f.start();
    assertThat(backend.started).hasSize(1);
    Sink a = submit(f, "a");
    Sink b = submit(f, "b");
    assertThat(backend.started).hasSize(2);
    Simulated c1 = connect(f, backend.started.get(0), true);
    Simulated c2 = connect(f, backend.started.get(1), true);
    f.onOutputs(c1.container, List.of(output(c1.assignments().get(0), value("A"))));
    f.onOutputs(c2.container, List.of(output(c2.assignments().get(0), value("B"))));
    assertThat(a.results).hasSize(1);
    assertThat(b.results).hasSize(1);

    live(f, Duration.ofSeconds(59), c1, c2);
    assertThat(c1.toldToShutDown() || c2.toldToShutDown()).isFalse();

    live(f, Duration.ofSeconds(1), c1, c2);
    assertThat(List.of(c1.toldToShutDown(), c2.toldToShutDown()))
        .containsExactlyInAnyOrder(true, false);

    live(f, Duration.ofSeconds(2), c1, c2); // no exit after Shutdown: SIGTERM
    assertThat(backend.started.stream().filter(p -> p.stopAsked)).hasSize(1);
    assertThat(f.load().ready()).isEqualTo(1);

    live(f, Duration.ofMinutes(2), c1, c2);
    assertThat(f.load().ready()).isEqualTo(1);
    assertThat(backend.started).hasSize(2);
  }

  @Test
  void updateAutoscalerStartsContainersAtOnceAndStatusListsThem() {
    FunctionScheduler f = function(def());
    f.start();
    assertThat(backend.started).isEmpty(); // scale to zero by default

    f.updateAutoscaler(2, 3, 0, Duration.ofSeconds(60));

    assertThat(backend.started).hasSize(2);
    Simulated c1 = connect(f, backend.started.get(0), true);
    FunctionStatus status = f.status();
    assertThat(status.getAutoscaler().getMinContainers()).isEqualTo(2);
    assertThat(status.getAutoscaler().getMaxContainers()).isEqualTo(3);
    assertThat(status.getDesiredContainers()).isEqualTo(2);
    assertThat(status.getContainersList())
        .extracting(ContainerStatus::getContainerId, ContainerStatus::getState)
        .containsExactly(
            tuple(c1.container().id, ContainerState.CONTAINER_IDLE),
            tuple(backend.started.get(1).spec.containerId(), ContainerState.CONTAINER_STARTING));

    live(f, Duration.ofMinutes(2), c1);
    assertThat(c1.toldToShutDown()).isFalse(); // the minimum outlives the window
  }

  @Test
  void loweringMaxStopsIdleContainersAboveItAtOnce() {
    FunctionScheduler f = function(def().setMinContainers(3).setMaxContainers(3));
    f.start();
    List<Simulated> all = backend.started.stream().map(p -> connect(f, p, true)).toList();

    f.updateAutoscaler(0, 1, 0, Duration.ofSeconds(60));

    assertThat(all.stream().filter(Simulated::toldToShutDown)).hasSize(2);
    assertThat(f.status().getContainersList())
        .extracting(ContainerStatus::getState)
        .containsExactlyInAnyOrder(
            ContainerState.CONTAINER_IDLE,
            ContainerState.CONTAINER_STOPPING,
            ContainerState.CONTAINER_STOPPING);
  }

  @Test
  void bufferContainerIdlesBesideTheLoadAndLapsesWithoutIt() {
    FunctionScheduler f =
        function(def().setBufferContainers(1).setMaxContainers(3).setScaledownWindowMs(2000));
    Sink a = submit(f, "a");
    assertThat(backend.started).hasSize(2); // one for the input, one buffer
    Simulated c1 = connect(f, backend.started.get(0), true);
    Simulated c2 = connect(f, backend.started.get(1), true);
    assertThat(f.status().getContainersList())
        .extracting(ContainerStatus::getState)
        .containsExactly(ContainerState.CONTAINER_BUSY, ContainerState.CONTAINER_IDLE);

    live(f, Duration.ofSeconds(10), c1, c2);
    assertThat(c2.toldToShutDown()).isFalse(); // idle past the window, but wanted

    f.onOutputs(c1.container(), List.of(output(c1.assignments().get(0), value("A"))));
    assertThat(a.results).hasSize(1);
    // Without load the buffer lapses: c2, idle for 10 s already, stops now; c1 after the window.
    assertThat(c2.toldToShutDown()).isTrue();
    live(f, Duration.ofSeconds(1), c1);
    assertThat(c1.toldToShutDown()).isFalse();
    live(f, Duration.ofSeconds(1), c1);
    assertThat(c1.toldToShutDown()).isTrue();
    assertThat(f.status().getDesiredContainers()).isZero();
  }

  @Test
  void theAutoscalerAimsAtTargetInputsPerContainer() {
    FunctionScheduler f =
        function(def().setConcurrentInputs(10).setTargetInputs(5).setMaxContainers(4));
    for (int i = 0; i < 10; i++) {
      submit(f, "x" + i);
    }
    assertThat(backend.started).hasSize(2); // ceil(10 / 5)
    assertThat(backend.last().env("SKIFF_CONCURRENT_INPUTS")).isEqualTo("10");
    assertThat(f.status().getTargetInputs()).isEqualTo(5);
    assertThat(f.status().getMaxInputs()).isEqualTo(10);
  }

  @Test
  void aContainerItsClusterHoldsBackCountsAsWaitingWithTheClustersReason() {
    FunctionScheduler f = function(def());
    submit(f, "x");
    assertThat(backend.started).hasSize(1);

    backend.last().waiting =
        Optional.of("pod skiff-c-1 is not scheduled (Unschedulable): 0/3 nodes");

    FunctionStatus status = f.status();
    assertThat(status.getWaitingContainers()).isEqualTo(1);
    assertThat(status.getWaitingReason())
        .isEqualTo("pod skiff-c-1 is not scheduled (Unschedulable): 0/3 nodes");
  }

  @Test
  void containersGetTheirOwnGpusAndLimitsAndWaitForRoomWithAReason() {
    FunctionScheduler f =
        function(
            def()
                .setMaxContainers(4)
                .addGpus("H100")
                .addGpus("A100")
                .setMemoryRequestMib(1024)
                .setMemoryLimitMib(2048)
                .setCpuLimit(1.5));
    for (int i = 0; i < 3; i++) {
      submit(f, "x" + i);
    }
    // The node (see the capacity above) has two A100s: a third container waits for one.
    assertThat(backend.started).hasSize(2);
    assertThat(backend.started)
        .extracting(p -> p.env("CUDA_VISIBLE_DEVICES"))
        .containsExactly("0", "1");
    assertThat(backend.last().env("SKIFF_GPU_TYPE")).isEqualTo("A100");
    assertThat(backend.last().spec.resources())
        .isEqualTo(
            new Resources(
                0,
                1500,
                1024,
                2048,
                List.of(GpuChoice.parse("H100"), GpuChoice.parse("A100")),
                List.of()));
    FunctionStatus status = f.status();
    assertThat(status.getWaitingContainers()).isEqualTo(1);
    assertThat(status.getWaitingReason())
        .isEqualTo("needs 1 x H100 or 1 x A100 GPU(s), 0 of 2 A100, 1 of 1 T4 free");

    // When a container exits, its device is free again and the waiting container is placed.
    backend.started.get(0).exit(137);
    assertThat(backend.started).hasSize(3);
    assertThat(backend.last().env("CUDA_VISIBLE_DEVICES")).isEqualTo("0");
  }

  @Test
  void aFunctionWithoutGpusSeesNoneOnAGpuNode() {
    FunctionScheduler f = function(def());
    submit(f, "a");
    assertThat(backend.last().env("CUDA_VISIBLE_DEVICES")).isEmpty();
    assertThat(backend.last().spec.resources()).isEqualTo(Resources.NONE);
  }

  @Test
  void repeatedFailedStartsFailQueuedInputsAndBackOff() {
    FunctionScheduler f = function(def().setMaxContainers(1).setStartupTimeoutMs(5000));
    Sink sink = submit(f, "a");

    FakeBackend.Puppet p1 = backend.last();
    Simulated s1 = connect(f, p1, false);
    f.onInitFailed(
        s1.container,
        ErrorInfo.newBuilder()
            .setKind(ErrorKind.STARTUP_FAILED)
            .setClassName("java.lang.ExceptionInInitializerError")
            .setMessage("static init failed")
            .build());
    p1.exit(1);
    assertThat(backend.started).hasSize(2);

    FakeBackend.Puppet p2 = backend.last();
    p2.writeStderr("Error: Could not find or load main class");
    p2.exit(1);
    assertThat(backend.started).hasSize(3);
    assertThat(sink.results).isEmpty();

    timer.advance(Duration.ofSeconds(5)); // the third never becomes ready
    ErrorInfo error = sink.only().getError();
    assertThat(error.getKind()).isEqualTo(ErrorKind.STARTUP_TIMEOUT);
    assertThat(error.getMessage())
        .contains("3 failed starts in a row")
        .contains("within the startup timeout (5s)");
    assertThat(backend.last().killed).isTrue();

    Sink later = submit(f, "b");
    assertThat(backend.started).hasSize(3); // backing off for 1 s
    timer.advance(Duration.ofSeconds(1));
    f.tick();
    assertThat(backend.started).hasSize(4);
    Simulated ok = connect(f, backend.last(), true);
    f.onOutputs(ok.container, List.of(output(ok.assignments().get(0), value("B"))));
    assertThat(later.only().hasValue()).isTrue();
  }

  @Test
  void initFailureIsTheCauseWhenStartsGiveUp() {
    FunctionScheduler f = function(def().setMaxContainers(1));
    Sink sink = submit(f, "a");
    ErrorInfo init =
        ErrorInfo.newBuilder()
            .setKind(ErrorKind.STARTUP_FAILED)
            .setMessage("no such method")
            .build();
    for (int i = 0; i < 3; i++) {
      Simulated s = connect(f, backend.last(), false);
      f.onInitFailed(s.container, init);
      s.puppet.exit(1);
    }
    ErrorInfo error = sink.only().getError();
    assertThat(error.getKind()).isEqualTo(ErrorKind.STARTUP_FAILED);
    assertThat(error.getCause()).isEqualTo(init);
  }

  @Test
  void silentContainerIsDeclaredLostAndItsInputRetried() {
    FunctionScheduler f = function(def().setRetries(RetryPolicy.newBuilder().setMaxRetries(1)));
    Sink sink = submit(f, "a");
    Simulated c = connect(f, backend.last(), true);

    timer.advance(Duration.ofSeconds(5));
    f.onHeartbeat(c.container);
    timer.advance(Duration.ofSeconds(10));
    f.tick();
    assertThat(c.puppet.killed).isFalse();
    timer.advance(Duration.ofSeconds(1));
    f.tick();
    assertThat(c.puppet.killed).isTrue();

    assertThat(sink.results).isEmpty(); // retried on a new container
    Simulated next = connect(f, backend.last(), true);
    assertThat(next.assignments().get(0).getAttempt()).isEqualTo(2);
  }

  @Test
  void wallClockStepsNeitherLoseNorExpireContainersNorHideDeadOnes() {
    FunctionScheduler f =
        function(def().setMinContainers(1).setMaxContainers(2).setScaledownWindowMs(60_000));
    f.start();
    Sink sink = submit(f, "a");
    Sink other = submit(f, "b");
    assertThat(backend.started).hasSize(2);
    Simulated busy = connect(f, backend.started.get(0), true);
    Simulated idle = connect(f, backend.started.get(1), true);
    Assignment a = busy.assignments().get(0);
    f.onOutputs(idle.container, List.of(output(idle.assignments().get(0), value("B"))));
    assertThat(other.results).hasSize(1);

    // The wall clock jumps a day ahead (NTP after a long suspend), between two heartbeats, then
    // three hours back.
    wall.advance(Duration.ofDays(1));
    f.tick();
    live(f, Duration.ofSeconds(2), busy, idle);
    wall.set(wall.instant().minus(Duration.ofHours(3)));
    f.tick();
    live(f, Duration.ofSeconds(2), busy, idle);
    assertThat(busy.puppet.killed || idle.puppet.killed).as("declared lost").isFalse();
    assertThat(busy.toldToShutDown() || idle.toldToShutDown()).as("idled out").isFalse();
    assertThat(sink.results).isEmpty();

    // Back a day: a container that goes silent now is still found out after the heartbeat timeout.
    wall.set(wall.instant().minus(Duration.ofDays(1)));
    live(f, Duration.ofSeconds(11), busy);
    assertThat(idle.puppet.killed).as("the silent one is declared lost").isTrue();
    assertThat(busy.puppet.killed).isFalse();

    f.onOutputs(busy.container, List.of(output(a, value("A"))));
    assertThat(sink.only().getValue().toStringUtf8()).isEqualTo("A");
  }

  @Test
  void killedContainerErrorSaysWhy() {
    FunctionScheduler f = function(def());
    Sink sink = submit(f, "a");
    connect(f, backend.last(), true);
    timer.advance(Duration.ofSeconds(11));
    f.tick();
    assertThat(sink.only().getError().getMessage())
        .contains("was killed because it sent no heartbeat for 10s");
  }

  @Test
  void brokenControlStreamGetsTheContainerKilled() {
    FunctionScheduler f = function(def());
    submit(f, "a");
    Simulated c = connect(f, backend.last(), true);
    f.onStreamClosed(c.container);
    assertThat(c.puppet.killed).isFalse();
    timer.advance(Duration.ofSeconds(2));
    assertThat(c.puppet.killed).isTrue();
  }

  @Test
  void closeCancelsEverythingAndStopsContainers() {
    FunctionScheduler f = function(def().setMaxContainers(1));
    Sink running = submit(f, "a");
    Sink queued = submit(f, "b");
    Simulated c = connect(f, backend.last(), true);

    f.close("app stopped");

    assertThat(running.only().getError().getKind()).isEqualTo(ErrorKind.CANCELLED);
    assertThat(running.only().getError().getMessage()).isEqualTo("app stopped");
    assertThat(queued.only().getError().getKind()).isEqualTo(ErrorKind.CANCELLED);
    assertThat(c.toldToShutDown()).isTrue();
    assertThat(c.cancels()).hasSize(1);
    Sink after = submit(f, "c");
    assertThat(after.only().getError().getKind()).isEqualTo(ErrorKind.CANCELLED);

    timer.advance(Duration.ofSeconds(2));
    assertThat(c.puppet.stopAsked).isTrue();
    assertThat(backend.started).hasSize(1);
  }

  @Test
  void generatorItemsAndCreditFlowThroughTheCurrentAttempt() {
    FunctionScheduler f = function(def().setGenerator(true));
    Sink sink = new Sink();
    Input input = f.newInput(ByteString.copyFromUtf8("n"), sink);
    f.submit(input);
    f.addCredit(input, 16);
    Simulated c = connect(f, backend.last(), true);
    Assignment a = c.assignments().get(0);
    assertThat(a.getCredit()).isEqualTo(16);

    f.addCredit(input, 8);
    assertThat(
            c.down.values.stream()
                .filter(ControlMessage::hasCredit)
                .map(m -> m.getCredit().getCredit()))
        .containsExactly(8);
    for (String s : List.of("1", "2", "3")) {
      f.onItem(
          c.container,
          GeneratorItem.newBuilder()
              .setInputId(a.getInputId())
              .setAttempt(1)
              .setItem(ByteString.copyFromUtf8(s))
              .build());
    }
    f.onItem(
        c.container,
        GeneratorItem.newBuilder()
            .setInputId(a.getInputId())
            .setAttempt(7)
            .setItem(ByteString.copyFromUtf8("x"))
            .build());
    f.onOutputs(
        c.container, List.of(output(a, Result.newBuilder().setValue(ByteString.EMPTY).build())));

    assertThat(sink.items).extracting(ByteString::toStringUtf8).containsExactly("1", "2", "3");
    assertThat(sink.only().hasValue()).isTrue();
  }

  @Test
  void lockedSectionsRefuseCallersThatDoNotHoldTheFunctionsLock() {
    FunctionScheduler f = function(def());
    Sink sink = submit(f, "a");

    assertThatThrownBy(f::dispatch)
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("must hold the lock of function hello-app.f of ap-test");
    assertThatThrownBy(() -> f.finish(f.newInput(ByteString.EMPTY, sink), value("x"), new Outbox()))
        .isInstanceOf(AssertionError.class);
    f.lock.lock();
    try {
      f.dispatch(); // with the lock held: no container is ready, so nothing happens
    } finally {
      f.lock.unlock();
    }
    assertThat(sink.results).isEmpty();
  }
}
