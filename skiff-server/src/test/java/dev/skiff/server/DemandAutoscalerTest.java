package dev.skiff.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DemandAutoscalerTest {
  private final Autoscaler scaler = new DemandAutoscaler();

  private static ScalingPolicy policy(int min, int max, int slots) {
    return new ScalingPolicy(min, max, slots, Duration.ofSeconds(60));
  }

  private static FunctionLoad load(
      int queued, int running, int starting, int ready, int idleExpired) {
    return new FunctionLoad(queued, running, starting, ready, idleExpired, false);
  }

  @Test
  void startsEnoughContainersForEveryWaitingInput() {
    ScalingDecision d = scaler.decide(policy(0, 10, 1), load(3, 0, 0, 0, 0));
    assertThat(d.start()).isEqualTo(3);
    assertThat(d.reason()).contains("queued=3").contains("target=3");
  }

  @Test
  void countsSlotsOfStartingAndReadyContainers() {
    // (1 starting + 1 ready) * 4 slots >= 5 queued + 2 running? no: 8 >= 7, so nothing to start.
    assertThat(scaler.decide(policy(0, 10, 4), load(5, 2, 1, 1, 0)).start()).isZero();
    // 9 inputs need 3 containers of 4 slots.
    assertThat(scaler.decide(policy(0, 10, 4), load(7, 2, 1, 1, 0)).start()).isEqualTo(1);
  }

  @Test
  void neverExceedsTheCap() {
    assertThat(scaler.decide(policy(0, 2, 1), load(100, 0, 0, 0, 0)).start()).isEqualTo(2);
    assertThat(scaler.decide(policy(0, 2, 1), load(100, 2, 0, 2, 0)))
        .isEqualTo(ScalingDecision.NONE);
  }

  @Test
  void keepsTheMinimumWithoutDemand() {
    ScalingDecision d = scaler.decide(policy(2, 5, 1), load(0, 0, 0, 0, 0));
    assertThat(d.start()).isEqualTo(2);
    assertThat(d.reason()).contains("min=2");
  }

  @Test
  void startsNothingWhileBackingOff() {
    ScalingDecision d = scaler.decide(policy(0, 5, 1), new FunctionLoad(4, 0, 0, 0, 0, true));
    assertThat(d.start()).isZero();
    assertThat(d.reason()).contains("backing off");
  }

  @Test
  void stopsOnlyIdleExpiredContainersAboveTheTarget() {
    assertThat(scaler.decide(policy(1, 5, 1), load(0, 0, 0, 3, 3)).stop()).isEqualTo(2);
    assertThat(scaler.decide(policy(1, 5, 1), load(0, 1, 0, 3, 1)).stop()).isEqualTo(1);
    assertThat(scaler.decide(policy(0, 5, 1), load(0, 2, 0, 3, 0)).stop()).isZero();
    assertThat(scaler.decide(policy(3, 5, 1), load(0, 0, 0, 3, 3)).stop()).isZero();
  }
}
