package dev.skiff.server.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.skiff.proto.ErrorKind;
import dev.skiff.proto.Result;
import dev.skiff.proto.ScheduledRun;
import dev.skiff.server.runtime.Failures;
import dev.skiff.server.runtime.InputListener;
import dev.skiff.server.testing.FakeClock;
import dev.skiff.server.testing.FakeTimer;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The schedule runner driven by a fake clock and timer: no real time passes. */
class ScheduleRunnerTest {
  private final FakeClock clock = new FakeClock();
  private final FakeTimer timer = new FakeTimer(clock);
  private final ScheduleRunner runner = new ScheduleRunner(clock, timer);
  private final Instant start = clock.instant(); // 2030-01-01T00:00:00Z
  private final List<InputListener> submitted = new ArrayList<>();

  private void schedule(String function, Trigger trigger) {
    runner.register(
        "ap-1",
        List.of(new ScheduleRunner.Scheduled(function, trigger, submitted::add)),
        clock.instant());
  }

  private List<Instant> scheduledTimes() {
    return runner.history("ap-1").getRunsList().stream()
        .map(r -> Instant.ofEpochMilli(r.getScheduledAtMs()))
        .toList();
  }

  @Test
  void cronFiresAtEachMatchingMinuteOfTheFakeClock() {
    schedule("report", CronSchedule.parse("*/5 * * * *", ZoneOffset.UTC));
    timer.advance(Duration.ofMinutes(4).plusSeconds(59));
    assertThat(submitted).isEmpty();
    timer.advance(Duration.ofMinutes(15).plusSeconds(1));
    assertThat(scheduledTimes())
        .containsExactly(
            start.plusSeconds(300),
            start.plusSeconds(600),
            start.plusSeconds(900),
            start.plusSeconds(1200));
    assertThat(submitted).hasSize(4);
  }

  @Test
  void periodFiresAtAFixedRateFromTheAppsStart() {
    schedule("tick", new FixedRate(start, Duration.ofSeconds(10)));
    timer.advance(Duration.ofSeconds(35));
    assertThat(scheduledTimes())
        .containsExactly(start.plusSeconds(10), start.plusSeconds(20), start.plusSeconds(30));
    assertThat(runner.history("ap-1").getRunsList())
        .extracting(ScheduledRun::getStartedAtMs)
        .containsExactly(
            start.plusSeconds(10).toEpochMilli(),
            start.plusSeconds(20).toEpochMilli(),
            start.plusSeconds(30).toEpochMilli());
  }

  @Test
  void ticksMissedWhileTheClockJumpedRunOnceNotAsAFlood() {
    schedule("tick", new FixedRate(start, Duration.ofMinutes(1)));
    timer.advance(Duration.ofSeconds(61));
    assertThat(submitted).hasSize(1);
    // The clock jumps an hour ahead without the timer running: 59 ticks are missed.
    clock.advance(Duration.ofHours(1));
    timer.runDue();
    assertThat(submitted).hasSize(2);
    assertThat(scheduledTimes()).last().isEqualTo(start.plusSeconds(120));
    // Then the regular cadence resumes, counted from the app's start.
    timer.advance(Duration.ofMinutes(1));
    assertThat(scheduledTimes()).hasSize(3).last().isEqualTo(start.plus(Duration.ofMinutes(62)));
  }

  @Test
  void noTickFiresTwiceWhenTheClockGoesBack() {
    schedule("tick", new FixedRate(start, Duration.ofSeconds(10)));
    timer.advance(Duration.ofSeconds(10));
    assertThat(submitted).hasSize(1);
    clock.set(start.plusSeconds(5)); // back before the tick that fired
    timer.advance(Duration.ofSeconds(6));
    assertThat(submitted).hasSize(1);
    timer.advance(Duration.ofSeconds(10));
    assertThat(scheduledTimes()).containsExactly(start.plusSeconds(10), start.plusSeconds(20));
  }

  @Test
  void historyRecordsEachRunsOutcome() {
    schedule("tick", new FixedRate(start, Duration.ofSeconds(1)));
    timer.advance(Duration.ofSeconds(3));
    assertThat(submitted).hasSize(3);
    submitted.get(0).onResult(Result.newBuilder().setValue(ByteString.EMPTY).build());
    clock.advance(Duration.ofMillis(500));
    submitted.get(1).onResult(Failures.result(Failures.error(ErrorKind.TIMEOUT, "timed out")));
    List<ScheduledRun> runs = runner.history("ap-1").getRunsList();
    assertThat(runs).extracting(ScheduledRun::getFunctionName).containsOnly("tick");
    assertThat(runs.get(0).hasResult()).isTrue();
    assertThat(runs.get(0).getResult().hasError()).isFalse();
    assertThat(runs.get(1).getResult().getError().getKind()).isEqualTo(ErrorKind.TIMEOUT);
    assertThat(runs.get(1).getFinishedAtMs()).isEqualTo(start.plusMillis(3500).toEpochMilli());
    assertThat(runs.get(2).hasResult()).isFalse();
    assertThat(runs.get(2).getFinishedAtMs()).isZero();
  }

  @Test
  void unregisteredAppStopsFiringAndForgetsItsHistory() {
    schedule("tick", new FixedRate(start, Duration.ofSeconds(1)));
    timer.advance(Duration.ofSeconds(2));
    runner.unregister("ap-1");
    timer.advance(Duration.ofSeconds(5));
    assertThat(submitted).hasSize(2);
    assertThat(runner.history("ap-1").getRunsList()).isEmpty();
  }

  @Test
  void historyKeepsTheNewestRuns() {
    schedule("tick", new FixedRate(start, Duration.ofSeconds(1)));
    timer.advance(Duration.ofSeconds(ScheduleRunner.HISTORY_LIMIT + 5));
    assertThat(scheduledTimes())
        .hasSize(ScheduleRunner.HISTORY_LIMIT)
        .first()
        .isEqualTo(start.plusSeconds(6));
  }

  @Test
  void ticksMissedWhileTheServerWasDownRunOnceAtRestartThenTheScheduleGoesOn() {
    Instant deployed = start.minus(Duration.ofHours(1));
    Instant lastRun = start.minus(Duration.ofMinutes(30)); // then the server was down
    runner.register(
        "ap-1",
        List.of(
            new ScheduleRunner.Scheduled(
                "tick", new FixedRate(deployed, Duration.ofSeconds(10)), submitted::add)),
        clock.instant(),
        Map.of("tick", lastRun));

    runner.tick();
    assertThat(submitted).hasSize(1); // 179 missed ticks: one run, not a flood
    timer.advance(Duration.ofSeconds(25));

    assertThat(scheduledTimes())
        .containsExactly(lastRun.plusSeconds(10), start.plusSeconds(10), start.plusSeconds(20));
  }
}
