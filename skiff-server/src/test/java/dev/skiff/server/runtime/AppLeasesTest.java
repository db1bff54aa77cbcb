package dev.skiff.server.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.internal.spi.NodeConfig;
import dev.skiff.proto.FunctionDef;
import dev.skiff.server.activity.Activity;
import dev.skiff.server.auth.Tokens;
import dev.skiff.server.backend.local.NodeCapacity;
import dev.skiff.server.logs.LogFanout;
import dev.skiff.server.metrics.Metrics;
import dev.skiff.server.scaling.DemandAutoscaler;
import dev.skiff.server.scaling.WarmPool;
import dev.skiff.server.testing.FakeBackend;
import dev.skiff.server.testing.FakeClock;
import dev.skiff.server.testing.FakeTimer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Leases of ephemeral apps against a fake monotonic clock and a fake wall clock. */
class AppLeasesTest {
  private final FakeClock clock = new FakeClock();
  private final AtomicLong nanos = new AtomicLong(123_456_789L);
  private final AppDirectory apps =
      new AppDirectory(
          new SchedulerContext(
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
                  Path.of("target", "test-data")),
              clock,
              clock,
              new FakeTimer(clock),
              Runnable::run,
              new FakeBackend(),
              Tokens.random(),
              new ConcurrentHashMap<>(),
              new LogFanout(),
              new DemandAutoscaler(),
              () -> new ContainerEndpoint(Path.of("/tmp/test-control.sock")),
              new AtomicLong(),
              WarmPool.disabled(),
              new NodeCapacity(new NodeConfig(4, 8192, NodeConfig.DEFAULT_REGION, List.of())),
              Metrics.create(),
              new Activity(clock)));
  private final AppLeases leases = new AppLeases(apps, Duration.ofSeconds(3), nanos::get);

  {
    apps.addListener(leases);
  }

  private String createLeasedApp() {
    RunningApp app =
        apps.create(
            "leased",
            List.of(
                FunctionDef.newBuilder()
                    .setName("f")
                    .setClassName("com.example.Hello")
                    .setMethodName("hello")
                    .setMethodDescriptor("()Ljava/lang/String;")
                    .setConcurrentInputs(1)
                    .setMaxContainers(1)
                    .build()),
            List.of("/app.jar"));
    leases.grant(app.spec().id());
    return app.spec().id();
  }

  private void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  @Test
  void appRenewedWithinItsLeaseRunsOnAndOneNotRenewedIsStopped() {
    String id = createLeasedApp();
    for (int i = 0; i < 10; i++) {
      advance(Duration.ofMillis(2900));
      leases.stopLapsed();
      assertThat(leases.renew(id)).isTrue();
    }
    assertThat(apps.find(id)).isPresent();

    advance(Duration.ofMillis(2999));
    leases.stopLapsed();
    assertThat(apps.find(id)).isPresent();
    advance(Duration.ofMillis(1));
    leases.stopLapsed();
    assertThat(apps.find(id)).isEmpty();
    assertThat(leases.renew(id)).isFalse();
  }

  @Test
  void aLapsedLeaseIsNotRevivedByALateRenewal() {
    String id = createLeasedApp();
    advance(Duration.ofSeconds(3));
    assertThat(leases.renew(id)).isFalse();
    leases.stopLapsed();
    assertThat(apps.find(id)).isEmpty();
  }

  @Test
  void wallClockStepsDoNotMoveLeases() {
    String id = createLeasedApp();
    clock.advance(Duration.ofDays(1));
    leases.stopLapsed();
    assertThat(apps.find(id)).isPresent();
    assertThat(leases.renew(id)).isTrue();
  }

  @Test
  void stoppingAnAppEndsItsLeaseAndAppsWithoutOneAreNotRenewed() {
    String id = createLeasedApp();
    assertThat(apps.stop(id, "app stopped")).isTrue();
    assertThat(leases.renew(id)).isFalse();
    assertThat(leases.renew("ap-unknown")).isFalse();
  }

  @Test
  void leaseLengthIsBounded() {
    assertThatThrownBy(() -> new AppLeases(apps, Duration.ofMillis(999), nanos::get))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("an app lease of PT0.999S is outside PT1S..PT1H");
    assertThatThrownBy(() -> new AppLeases(apps, Duration.ofHours(2), nanos::get))
        .hasMessage("an app lease of PT2H is outside PT1S..PT1H");
  }
}
