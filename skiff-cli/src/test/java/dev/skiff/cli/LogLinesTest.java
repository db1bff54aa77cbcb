package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.proto.LogLine;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LogLinesTest {
  private static final Instant NOW = Instant.parse("2026-11-28T04:00:00Z");

  @Test
  void sinceTakesADurationBackFromNowOrAnInstant() {
    assertThat(LogLines.since("30s", NOW)).isEqualTo(Instant.parse("2026-11-28T03:59:30Z"));
    assertThat(LogLines.since("10m", NOW)).isEqualTo(Instant.parse("2026-11-28T03:50:00Z"));
    assertThat(LogLines.since("2h", NOW)).isEqualTo(Instant.parse("2026-11-28T02:00:00Z"));
    assertThat(LogLines.since("1d", NOW)).isEqualTo(Instant.parse("2026-11-27T04:00:00Z"));
    assertThat(LogLines.since("2026-11-28T03:00:00Z", NOW))
        .isEqualTo(Instant.parse("2026-11-28T03:00:00Z"));
  }

  @Test
  void aBadSinceSaysWhatIsAllowed() {
    assertThatThrownBy(() -> LogLines.since("yesterday", NOW))
        .isInstanceOf(CliException.class)
        .hasMessageContaining("--since is 'yesterday'")
        .hasMessageContaining("30s, 10m, 2h or 1d");
  }

  @Test
  void linesShowFunctionContainerStreamAndOptionallyTheTime() {
    LogLine line =
        LogLine.newBuilder()
            .setFunctionName("hello")
            .setContainerId("c-abc")
            .setStderr(true)
            .setText("saying hello")
            .setTimestampMs(NOW.toEpochMilli())
            .build();
    assertThat(LogLines.format(line, false)).isEqualTo("[hello c-abc]! saying hello");
    assertThat(LogLines.format(line.toBuilder().setStderr(false).build(), true))
        .isEqualTo("2026-11-28T04:00:00Z [hello c-abc] saying hello");
  }
}
