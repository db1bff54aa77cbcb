package dev.skiff.server.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.proto.ErrorKind;
import dev.skiff.proto.RetryPolicy;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryScheduleTest {
  private static RetrySchedule schedule(
      int retries, long initialMs, double coefficient, long maxMs) {
    return RetrySchedule.of(
        RetryPolicy.newBuilder()
            .setMaxRetries(retries)
            .setInitialDelayMs(initialMs)
            .setBackoffCoefficient(coefficient)
            .setMaxDelayMs(maxMs)
            .build(),
        false);
  }

  @Test
  void delayGrowsByTheCoefficientUpToTheCap() {
    RetrySchedule s = schedule(10, 1000, 2.0, 10_000);
    assertThat(s.delayBefore(1)).isEqualTo(Duration.ofSeconds(1));
    assertThat(s.delayBefore(2)).isEqualTo(Duration.ofSeconds(2));
    assertThat(s.delayBefore(3)).isEqualTo(Duration.ofSeconds(4));
    assertThat(s.delayBefore(4)).isEqualTo(Duration.ofSeconds(8));
    assertThat(s.delayBefore(5)).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.delayBefore(10)).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void fixedDelayWithCoefficientOne() {
    RetrySchedule s = schedule(3, 1000, 1.0, 60_000);
    assertThat(s.delayBefore(1)).isEqualTo(s.delayBefore(3)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void retriesOnlyRetryableKindsWhileAttemptsRemain() {
    RetrySchedule s = schedule(2, 0, 1.0, 0);
    assertThat(s.maxAttempts()).isEqualTo(3);
    assertThat(s.retries(ErrorKind.USER_EXCEPTION, 1)).isTrue();
    assertThat(s.retries(ErrorKind.TIMEOUT, 2)).isTrue();
    assertThat(s.retries(ErrorKind.CONTAINER_CRASHED, 3)).isFalse();
    assertThat(s.retries(ErrorKind.CANCELLED, 1)).isFalse();
    assertThat(s.retries(ErrorKind.ENCODING, 1)).isFalse();
    assertThat(s.retries(ErrorKind.STARTUP_FAILED, 1)).isFalse();
  }

  @Test
  void unsetPolicyAndGeneratorsMeanNoRetries() {
    assertThat(RetrySchedule.of(RetryPolicy.getDefaultInstance(), false).maxRetries()).isZero();
    assertThat(
            RetrySchedule.of(RetryPolicy.newBuilder().setMaxRetries(3).build(), true).maxRetries())
        .isZero();
  }

  @Test
  void unsetFieldsGetSaneDefaults() {
    RetrySchedule s = RetrySchedule.of(RetryPolicy.newBuilder().setMaxRetries(2).build(), false);
    assertThat(s.backoffCoefficient()).isEqualTo(1.0);
    assertThat(s.maxDelay()).isEqualTo(Duration.ofSeconds(60));
    assertThat(s.delayBefore(2)).isEqualTo(Duration.ZERO);
  }

  @Test
  void retryNumbersStartAtOne() {
    assertThatThrownBy(() -> schedule(1, 1000, 2.0, 1000).delayBefore(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("was 0");
  }
}
