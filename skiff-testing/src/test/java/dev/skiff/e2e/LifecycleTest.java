package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.App;
import dev.skiff.Function0;
import dev.skiff.Function1;
import dev.skiff.RunOptions;
import dev.skiff.SkiffException;
import dev.skiff.testing.SkiffExtension;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The embedded default, without the test fixture: {@code app.run()} starts its own control plane,
 * and closing the run leaves no process behind.
 */
@Tag("e2e")
class LifecycleTest {
  static final App app = App.named("lifecycle");
  static final Function1<Integer, Integer> twice = app.function(LifecycleTest::twice);

  static Integer twice(Integer x) {
    return 2 * x;
  }

  static final Function0<List<String>> jvmArguments = app.function(LifecycleTest::jvmArguments);

  static List<String> jvmArguments() {
    return ManagementFactory.getRuntimeMXBean().getInputArguments();
  }

  @Test
  void containersOutsideTheFixtureHaveTheFullJit() {
    try (var run = app.run(RunOptions.quiet())) {
      assertThat(jvmArguments.remote())
          .contains("-XX:+UseSerialGC")
          .noneMatch(a -> a.startsWith("-XX:TieredStopAtLevel"));
    }
  }

  @Test
  void noContainerProcessRemainsAfterRunCloses() {
    try (var run = app.run(RunOptions.quiet())) {
      List<Integer> out = twice.map(IntStream.range(0, 200).boxed().toList()).toList();
      assertThat(out).hasSize(200);
      assertThat(SkiffExtension.containerProcesses()).isNotEmpty();
    }
    assertThat(SkiffExtension.containerProcesses()).isEmpty();
  }

  @Test
  void noContainerProcessRemainsAfterRunClosesByAnException() {
    assertThatThrownBy(
            () -> {
              try (var run = app.run(RunOptions.quiet())) {
                assertThat(twice.remote(21)).isEqualTo(42);
                throw new IllegalStateException("the caller failed");
              }
            })
        .hasMessage("the caller failed");
    assertThat(SkiffExtension.containerProcesses()).isEmpty();
  }

  @Test
  void callingOutsideARunSaysSo() {
    assertThatThrownBy(() -> twice.remote(1))
        .isInstanceOf(SkiffException.class)
        .hasMessageContaining("app 'lifecycle' is not running");
    assertThat(twice.local(4)).isEqualTo(8);
  }

  @Test
  void anAppRunsOnceAtATime() {
    try (var run = app.run(RunOptions.quiet())) {
      assertThatThrownBy(() -> app.run(RunOptions.quiet()))
          .isInstanceOf(SkiffException.class)
          .hasMessage("app 'lifecycle' is already running");
    }
  }
}
