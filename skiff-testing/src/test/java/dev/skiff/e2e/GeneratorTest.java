package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.AppRun;
import dev.skiff.RunOptions;
import dev.skiff.testing.SkiffExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Generators stream items as they are produced, with back-pressure, and stop when closed. */
@Tag("e2e")
class GeneratorTest {
  @RegisterExtension static final SkiffExtension skiff = SkiffExtension.create();

  static AppRun run;

  @BeforeAll
  static void startApp() {
    run = Fns.app.run(RunOptions.quiet());
  }

  @AfterAll
  static void stopApp() {
    run.close();
  }

  @Test
  void remoteGenYieldsEveryItemInOrder() {
    try (Stream<Integer> s = Fns.countTo.remoteGen(1000)) {
      assertThat(s.toList()).isEqualTo(IntStream.range(0, 1000).boxed().toList());
    }
    assertThat(Fns.countTo.local(3).toList()).containsExactly(0, 1, 2);
  }

  @Test
  void firstItemArrivesWhileTheGeneratorIsBlockedBeforeItsSecond(@TempDir Path dir)
      throws IOException {
    try (Stream<Integer> s = Fns.gated.remoteGen(dir.toString(), 5)) {
      Iterator<Integer> it = s.iterator();
      assertThat(it.next()).isEqualTo(1); // the generator is still blocked before item 2
      assertThat(dir.resolve("release")).doesNotExist();
      Files.writeString(dir.resolve("release"), "go");
      assertThat(it.next()).isEqualTo(2);
      assertThat(it.next()).isEqualTo(3);
    }
    // The generator stops and closes its stream in the container before the temp dir goes away.
    await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(dir.resolve("closed")));
  }

  @Test
  void closingTheStreamEarlyStopsTheGeneratorInTheContainer(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("release"), "go");
    try (Stream<Integer> s = Fns.gated.remoteGen(dir.toString(), 1_000_000)) {
      Iterator<Integer> it = s.iterator();
      assertThat(it.next()).isEqualTo(1);
      assertThat(it.next()).isEqualTo(2);
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(dir.resolve("closed")));
    String stoppedAt = Files.readString(dir.resolve("produced"));
    // Produced items stop growing: the generator is no longer running.
    await()
        .during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(5))
        .until(() -> Files.readString(dir.resolve("produced")).equals(stoppedAt));
    assertThat(Integer.parseInt(stoppedAt)).isLessThan(1000);
  }
}
