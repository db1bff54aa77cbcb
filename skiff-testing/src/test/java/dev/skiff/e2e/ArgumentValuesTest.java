package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.AppRun;
import dev.skiff.PayloadException;
import dev.skiff.RunOptions;
import dev.skiff.testing.SkiffExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An argument that is not a value (a {@code Thread}) fails at the call site, naming the path to it,
 * before anything is sent: no container starts and the function never runs; a result that is not a
 * value fails the call the same way instead of arriving as a map of its getters.
 */
@Tag("e2e")
class ArgumentValuesTest {
  @RegisterExtension
  final SkiffExtension skiff = SkiffExtension.builder().withoutWarmContainers().build();

  @TempDir Path dir;

  AppRun run;

  @BeforeEach
  void startApp() {
    run = ValueFns.app.run(RunOptions.quiet());
  }

  @AfterEach
  void stopApp() {
    run.close();
  }

  private List<String> ran() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void aThreadWhereObjectIsDeclaredFailsAtTheCallSiteAndNothingStarts() throws IOException {
    Thread thread = new Thread(() -> {});
    assertThatThrownBy(() -> ValueFns.describe.remote(dir.toString(), thread))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith(
            "argument 2 of 'describe' → java.lang.Thread cannot be encoded: java.lang.Thread is a"
                + " JDK class that is not a value");
    assertThatThrownBy(() -> ValueFns.describe.spawn(dir.toString(), thread))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith("argument 2 of 'describe' → java.lang.Thread cannot be encoded");
    assertThat(ran()).isEmpty();
    assertThat(SkiffExtension.containerProcesses()).isEmpty();

    // A value in the same place is carried as before.
    assertThat(ValueFns.describe.remote(dir.toString(), List.of(1, 2))).isEqualTo("[1, 2]");
    assertThat(ran()).containsExactly("ran-describe");
  }

  @Test
  void aThreadWhereThreadIsDeclaredFailsAtTheCallSiteAndNothingStarts() throws IOException {
    assertThatThrownBy(() -> ValueFns.threadName.remote(dir.toString(), new Thread(() -> {})))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith("argument 2 of 'threadName' → java.lang.Thread cannot be encoded");
    assertThat(ran()).isEmpty();
    assertThat(SkiffExtension.containerProcesses()).isEmpty();
  }

  @Test
  void aMapWithAThreadInAnInputFailsNamingTheInputAndThePathAndNothingStarts() throws IOException {
    List<ValueFns.Job> jobs = List.of(new ValueFns.Job(dir.toString(), new Thread(() -> {})));
    assertThatThrownBy(() -> ValueFns.runJob.map(jobs).toList())
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith(
            "argument 1 of 'runJob' (map input 0) → field owner → java.lang.Thread cannot be"
                + " encoded: ");
    assertThat(ran()).isEmpty();
    assertThat(SkiffExtension.containerProcesses()).isEmpty();
  }

  @Test
  void aResultThatIsNotAValueFailsTheCallNamingTheResult() throws IOException {
    assertThatThrownBy(() -> ValueFns.currentThread.remote(dir.toString()))
        .isInstanceOf(PayloadException.class)
        .hasMessageContaining("result of 'currentThread' → java.lang.")
        .hasMessageContaining("is a JDK class that is not a value");
    assertThat(ran()).containsExactly("ran-currentThread");
  }
}
