package dev.skiff.server.scaling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.server.testing.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** The autoscaler's decisions, against loads built by hand and a clock the test moves. */
class DemandAutoscalerTest {
  private static final Duration WINDOW = Duration.ofSeconds(60);

  private final Autoscaler scaler = new DemandAutoscaler();
  private final FakeClock clock = new FakeClock();

  private static ScalingPolicy policy(int min, int max, int slots) {
    return policy(min, max, 0, slots, slots);
  }

  private static ScalingPolicy policy(int min, int max, int buffer, int slots, int target) {
    return new ScalingPolicy(min, max, buffer, slots, target, WINDOW);
  }

  /** Builds a function's containers, each created or gone idle at the clock's current time. */
  private final class Load {
    private final List<ContainerLoad> containers = new ArrayList<>();
    private int queued;
    private int running;
    private boolean backingOff;

    Load queued(int n) {
      queued = n;
      return this;
    }

    Load starting(int n) {
      return add(n, ContainerLoad.State.STARTING, 0);
    }

    Load idle(int n) {
      return add(n, ContainerLoad.State.IDLE, 0);
    }

    Load busy(int n, int inputsEach) {
      running += n * inputsEach;
      return add(n, ContainerLoad.State.BUSY, inputsEach);
    }

    Load stopping(int n) {
      return add(n, ContainerLoad.State.STOPPING, 0);
    }

    Load backingOff() {
      backingOff = true;
      return this;
    }

    private Load add(int n, ContainerLoad.State state, int inputs) {
      for (int i = 0; i < n; i++) {
        String id = "c-" + state.name().toLowerCase(Locale.ROOT) + containers.size();
        containers.add(new ContainerLoad(id, state, inputs, clock.instant()));
      }
      return this;
    }

    FunctionLoad build() {
      return new FunctionLoad(queued, running, containers, backingOff);
    }
  }

  private Load load() {
    return new Load();
  }

  private ScalingDecision decide(ScalingPolicy policy, Load load) {
    return scaler.decide(policy, load.build(), clock.instant());
  }

  @Test
  void scalesToZeroByDefault() {
    ScalingDecision d = decide(policy(0, 10, 1), load());
    assertThat(d.desired()).isZero();
    assertThat(d.changesAnything()).isFalse();
  }

  @Test
  void startsOneContainerPerWaitingInputWithOneSlot() {
    ScalingDecision d = decide(policy(0, 10, 1), load().queued(3));
    assertThat(d.start()).isEqualTo(3);
    assertThat(d.reason()).contains("queued=3").contains("desired=3").contains("waiting inputs");
  }

  @Test
  void aimsAtTargetInputsPerContainerNotTheMaximum() {
    // 10 inputs, at most 10 per container but aiming at 4: ceil(10 / 4) = 3 containers.
    assertThat(decide(policy(0, 10, 0, 10, 4), load().queued(10)).start()).isEqualTo(3);
    // Aiming at the maximum, one container takes all ten.
    assertThat(decide(policy(0, 10, 0, 10, 10), load().queued(10)).start()).isEqualTo(1);
  }

  @Test
  void countsStartingAndReadyContainers() {
    // 5 queued + 2 running = 7 inputs, 4 per container: 2 containers, which exist.
    assertThat(decide(policy(0, 10, 4), load().queued(5).starting(1).busy(1, 2)).start()).isZero();
    // 9 inputs need 3.
    assertThat(decide(policy(0, 10, 4), load().queued(7).starting(1).busy(1, 2)).start())
        .isEqualTo(1);
  }

  @Test
  void neverExceedsTheCap() {
    assertThat(decide(policy(0, 3, 1), load().queued(200)).start()).isEqualTo(3);
    ScalingDecision full = decide(policy(0, 3, 1), load().queued(197).busy(3, 1));
    assertThat(full.desired()).isEqualTo(3);
    assertThat(full.changesAnything()).isFalse();
  }

  @Test
  void stoppingContainersCountAgainstTheCapUntilTheyExit() {
    ScalingDecision d = decide(policy(0, 3, 1), load().queued(5).busy(1, 1).stopping(2));
    assertThat(d.start()).isZero();
    assertThat(d.waiting()).hasValueSatisfying(w -> assertThat(w).contains("maxContainers=3"));

    assertThat(decide(policy(0, 3, 1), load().queued(5).busy(1, 1).stopping(1)).start())
        .isEqualTo(1);
  }

  @Test
  void keepsTheMinimumWithoutDemand() {
    ScalingDecision d = decide(policy(2, 5, 1), load());
    assertThat(d.start()).isEqualTo(2);
    assertThat(d.reason()).contains("min=2");

    clock.advance(WINDOW.multipliedBy(10));
    assertThat(decide(policy(2, 5, 1), load().idle(2)).changesAnything()).isFalse();
  }

  @Test
  void keepsBufferContainersIdleBeyondDemandWhileThereIsLoad() {
    ScalingPolicy buffered = policy(0, 5, 1, 1, 1);
    ScalingDecision d = decide(buffered, load().busy(1, 1));
    assertThat(d.desired()).isEqualTo(2);
    assertThat(d.start()).isEqualTo(1);
    assertThat(d.reason()).contains("buffer=1");

    // The buffer container is idle, but it is wanted: it stays past the window.
    Load busyAndBuffer = load().busy(1, 1).idle(1);
    clock.advance(WINDOW.plusSeconds(1));
    assertThat(decide(buffered, busyAndBuffer).changesAnything()).isFalse();

    // The buffer is never above the cap.
    assertThat(decide(policy(0, 2, 1, 1, 1), load().busy(2, 1)).start()).isZero();
  }

  @Test
  void withoutLoadTheBufferLapsesAndTheFunctionReturnsToZero() {
    ScalingPolicy buffered = policy(0, 5, 1, 1, 1);
    Load idle = load().idle(2);
    assertThat(decide(buffered, idle).desired()).isZero();
    assertThat(decide(buffered, idle).stop()).isEmpty(); // not idle long enough yet

    clock.advance(WINDOW);
    assertThat(decide(buffered, idle).stop()).containsExactly("c-idle0", "c-idle1");
  }

  @Test
  void stopsOnlyContainersIdlePastTheWindowLongestIdleFirst() {
    Load load = load().idle(1);
    clock.advance(Duration.ofSeconds(30));
    load.idle(1); // idle for 30 s less
    clock.advance(Duration.ofSeconds(30));

    ScalingDecision d = decide(policy(0, 5, 1), load);
    assertThat(d.stop()).containsExactly("c-idle0");
    assertThat(d.reason()).contains("scale-down window");

    clock.advance(Duration.ofSeconds(30));
    assertThat(decide(policy(0, 5, 1), load).stop()).containsExactly("c-idle0", "c-idle1");
    // Never below the minimum, and never a busy one.
    assertThat(decide(policy(1, 5, 1), load).stop()).containsExactly("c-idle0");
    assertThat(decide(policy(0, 5, 1), load().busy(2, 1)).stop()).isEmpty();
  }

  @Test
  void aLoweredCapStopsIdleAndStartingContainersAtOnce() {
    Load load = load().busy(1, 1).idle(2).starting(1);
    ScalingDecision d = decide(policy(0, 2, 1), load);
    assertThat(d.stop()).containsExactly("c-idle1", "c-idle2");
    assertThat(d.reason()).contains("above maxContainers=2");

    assertThat(decide(policy(0, 1, 1), load).stop())
        .containsExactly("c-idle1", "c-idle2", "c-starting3");
  }

  @Test
  void startsNothingWhileBackingOffAndSaysWhy() {
    ScalingDecision d = decide(policy(0, 5, 1), load().queued(4).backingOff());
    assertThat(d.start()).isZero();
    assertThat(d.desired()).isEqualTo(4);
    assertThat(d.waiting()).hasValueSatisfying(w -> assertThat(w).contains("backing off"));
  }
}
