package dev.skiff.server.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class StartupGuardTest {
  private final Instant t0 = Instant.parse("2030-01-01T00:00:00Z");
  private final StartupGuard guard = new StartupGuard(3, Duration.ofSeconds(30));

  @Test
  void givesUpOnTheThirdFailureInARowAndBacksOff() {
    assertThat(guard.recordFailure(t0)).isFalse();
    assertThat(guard.recordFailure(t0)).isFalse();
    assertThat(guard.recordFailure(t0)).isTrue();
    assertThat(guard.backingOff(t0.plusMillis(999))).isTrue();
    assertThat(guard.backingOff(t0.plusSeconds(1))).isFalse();
  }

  @Test
  void backoffDoublesPerRoundUpToTheCap() {
    assertThat(guard.backoff(0)).isEqualTo(Duration.ofSeconds(1));
    assertThat(guard.backoff(1)).isEqualTo(Duration.ofSeconds(2));
    assertThat(guard.backoff(2)).isEqualTo(Duration.ofSeconds(4));
    assertThat(guard.backoff(5)).isEqualTo(Duration.ofSeconds(30));
    assertThat(guard.backoff(60)).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void failuresDuringABackoffAreOneRound() {
    for (int i = 0; i < 3; i++) {
      guard.recordFailure(t0);
    }
    assertThat(guard.recordFailure(t0.plusMillis(500))).isTrue();
    assertThat(guard.backingOff(t0.plusSeconds(1))).isFalse(); // still round 0's 1 s
    assertThat(guard.recordFailure(t0.plusSeconds(2))).isTrue();
    assertThat(guard.backingOff(t0.plusSeconds(3))).isTrue(); // round 1: 2 s
    assertThat(guard.backingOff(t0.plusSeconds(4))).isFalse();
  }

  @Test
  void aReadyContainerResetsEverything() {
    for (int i = 0; i < 3; i++) {
      guard.recordFailure(t0);
    }
    guard.recordSuccess();
    assertThat(guard.backingOff(t0)).isFalse();
    assertThat(guard.recordFailure(t0)).isFalse();
    assertThat(guard.consecutiveFailures()).isEqualTo(1);
  }
}
