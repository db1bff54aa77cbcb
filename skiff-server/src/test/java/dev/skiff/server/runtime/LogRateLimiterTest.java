package dev.skiff.server.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LogRateLimiterTest {
  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

  @Test
  void aBurstPassesThenLinesAreDroppedUntilTokensRefill() {
    LogRateLimiter limiter = new LogRateLimiter(10, 3, 0);
    assertThat(limiter.admit(0)).isZero();
    assertThat(limiter.admit(0)).isZero();
    assertThat(limiter.admit(0)).isZero();
    assertThat(limiter.admit(0)).isEqualTo(-1);
    assertThat(limiter.admit(50 * MS)).isEqualTo(-1); // half a token
    // A token after 100 ms; the two dropped lines are reported with the line that gets through.
    assertThat(limiter.admit(100 * MS)).isEqualTo(2);
    assertThat(limiter.admit(100 * MS)).isEqualTo(-1);
  }

  @Test
  void theBucketHoldsNoMoreThanTheBurst() {
    LogRateLimiter limiter = new LogRateLimiter(1000, 5, 0);
    long later = TimeUnit.HOURS.toNanos(1);
    for (int i = 0; i < 5; i++) {
      assertThat(limiter.admit(later)).isZero();
    }
    assertThat(limiter.admit(later)).isEqualTo(-1);
  }

  @Test
  void droppedLinesAreReportedAtMostOnceASecondDuringAFlood() {
    LogRateLimiter limiter = new LogRateLimiter(1000, 1, 0);
    long reported = 0;
    long reports = 0;
    long dropped = 0;
    // 10,000 lines per second for 3 seconds, one every 100 µs.
    for (long t = 0; t < TimeUnit.SECONDS.toNanos(3); t += 100_000) {
      long r = limiter.admit(t);
      if (r < 0) {
        dropped++;
      } else if (r > 0) {
        reports++;
        reported += r;
      }
    }
    reported += limiter.takeDropped(TimeUnit.SECONDS.toNanos(3));
    assertThat(reported).isEqualTo(dropped);
    assertThat(dropped).isBetween(26_000L, 28_000L); // 30,000 written, about 3,000 admitted
    assertThat(reports).isBetween(2L, 3L);
  }

  @Test
  void aFloodThatStoppedIsReportedOnTheNextTickOnceASecondPassed() {
    LogRateLimiter limiter = new LogRateLimiter(1, 1, 0);
    assertThat(limiter.admit(0)).isZero();
    assertThat(limiter.admit(MS)).isEqualTo(-1);
    assertThat(limiter.admit(2 * MS)).isEqualTo(-1);
    assertThat(limiter.takeDroppedIfDue(2 * MS)).isEqualTo(2); // none reported before
    assertThat(limiter.admit(3 * MS)).isEqualTo(-1);
    assertThat(limiter.takeDroppedIfDue(500 * MS)).isZero(); // reported under a second ago
    assertThat(limiter.takeDroppedIfDue(1003 * MS)).isEqualTo(1);
    assertThat(limiter.takeDropped(2000 * MS)).isZero();
  }

  @Test
  void theReportNamesTheCountAndTheRate() {
    assertThat(LogRateLimiter.droppedLine(42, 1000))
        .isEqualTo(
            "[skiff: 42 lines dropped: the container wrote more than 1000 lines per second]");
  }
}
