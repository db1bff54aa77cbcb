package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skiff.App;
import dev.skiff.AppRun;
import dev.skiff.Cron;
import dev.skiff.Every;
import dev.skiff.Function0;
import dev.skiff.RunOptions;
import dev.skiff.ScheduledRun;
import dev.skiff.SkiffException;
import dev.skiff.Volume;
import dev.skiff.testing.SkiffExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Schedules fire while an ephemeral {@code app.run()} is open, in real time. */
@Tag("e2e")
class ScheduleTest {
  @RegisterExtension static final SkiffExtension skiff = SkiffExtension.create();

  /** Where each tick is logged: a volume, which the test reads from the control plane's side. */
  static final Volume TICKS = Volume.fromName("schedule-e2e-ticks").createIfMissing();

  static final App app = App.named("schedule-e2e");
  static final Function0<Void> tick =
      app.function(ScheduleTest::tick, f -> f.schedule(Every.seconds(1)).volume("/ticks", TICKS));
  static final Function0<Void> newYear =
      app.function(ScheduleTest::newYear, f -> f.schedule(Cron.of("0 0 1 JAN *", "Europe/Paris")));

  static void tick() throws IOException {
    Files.writeString(
        Path.of("/ticks/ticks.log"),
        Instant.now() + "\n",
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  @SuppressWarnings("DoNotCallSuggester") // a scheduled function that must never run
  static void newYear() {
    throw new IllegalStateException("a new year began during the test");
  }

  private static long ticks() throws IOException {
    Path log = skiff.dataDir().resolve("volumes").resolve(TICKS.name()).resolve("ticks.log");
    return Files.exists(log) ? Files.readAllLines(log).size() : 0;
  }

  @Test
  void periodOfOneSecondFiresRepeatedlyAndEachRunIsInTheHistory() throws IOException {
    AppRun closed;
    try (var run = app.run(RunOptions.quiet())) {
      closed = run;
      await().atMost(Duration.ofSeconds(30)).until(() -> ticks() >= 3);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> run.history().stream().filter(ScheduledRun::succeeded).count() >= 3);
      List<ScheduledRun> history = run.history();
      assertThat(history).extracting(ScheduledRun::function).containsOnly("tick");
      List<Instant> ticks = history.stream().map(ScheduledRun::scheduledAt).toList();
      assertThat(ticks).doesNotHaveDuplicates().isSorted();
      for (int i = 1; i < ticks.size(); i++) {
        // A fixed rate: each tick is whole seconds after the previous (once, if one was missed).
        assertThat(Duration.between(ticks.get(i - 1), ticks.get(i)).toMillis() % 1000).isZero();
      }
      ScheduledRun first = history.getFirst();
      assertThat(first.startedAt()).isAfterOrEqualTo(first.scheduledAt());
      assertThat(first.state())
          .isInstanceOfSatisfying(
              ScheduledRun.Succeeded.class,
              s -> assertThat(s.finishedAt()).isAfterOrEqualTo(first.startedAt()));
    }
    assertThatThrownBy(closed::history)
        .isInstanceOf(SkiffException.class)
        .hasMessage("app 'schedule-e2e' is not running: its run was closed");
  }
}
