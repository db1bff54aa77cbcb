package dev.skiff.server.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ExitReportTest {
  @Test
  void exitCodeAbove128IsASignal() {
    ExitReport r = new ExitReport("c-abc123", 137, List.of(), Optional.empty());
    assertThat(r.message()).isEqualTo("container c-abc123 was killed by signal 9 (SIGKILL)");
    assertThat(new ExitReport("c-1", 143, List.of(), Optional.empty()).cause())
        .endsWith("killed by signal 15 (SIGTERM)");
  }

  @Test
  void plainExitCode() {
    assertThat(new ExitReport("c-1", 3, List.of(), Optional.empty()).cause())
        .isEqualTo("container c-1 exited with code 3");
  }

  @Test
  void outOfMemoryIsNamed() {
    ExitReport r =
        new ExitReport(
            "c-1",
            1,
            List.of("Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space"),
            Optional.empty());
    assertThat(r.cause()).isEqualTo("container c-1 ran out of memory (exited with code 1)");
  }

  @Test
  void ourKillGivesItsReasonButAnOwnExitWins() {
    Optional<String> reason = Optional.of("it sent no heartbeat for 10s");
    assertThat(new ExitReport("c-1", 137, List.of(), reason).cause())
        .isEqualTo("container c-1 was killed because it sent no heartbeat for 10s");
    assertThat(new ExitReport("c-1", 2, List.of(), reason).cause())
        .isEqualTo("container c-1 exited with code 2");
  }

  @Test
  void quotesTheLastTwentyStderrLines() {
    List<String> tail = IntStream.rangeClosed(1, 50).mapToObj(i -> "line " + i).toList();
    String message = new ExitReport("c-1", 1, tail, Optional.empty()).message();
    assertThat(message).contains("last 20 stderr line(s):\n  line 31\n").endsWith("\n  line 50");
    assertThat(message).doesNotContain("line 30\n");
  }
}
