package dev.skiff.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.internal.spi.EmbeddedConfig;
import dev.skiff.internal.spi.NodeConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The extension's options: each keeps the default until set, and they combine. */
class SkiffExtensionBuilderTest {
  private static final EmbeddedConfig DEFAULTS =
      EmbeddedConfig.defaults().withContainerJvmOptions(SkiffExtension.QUICK_START_JVM_OPTIONS);

  @Test
  void createAndAnEmptyBuilderGiveTheEmbeddedDefaults() {
    assertThat(SkiffExtension.create().config()).isEqualTo(DEFAULTS);
    assertThat(SkiffExtension.builder().build().config()).isEqualTo(DEFAULTS);
  }

  @Test
  void everyOptionCombinesWithTheOthers() {
    EmbeddedConfig config =
        SkiffExtension.builder()
            .withoutWarmContainers()
            .defaultMaxContainers(3)
            .node(2, 1024, "eu-west-1", List.of("A100", "A100"))
            .withoutSandbox()
            .build()
            .config();

    assertThat(config.warmContainers()).isZero();
    assertThat(config.defaultMaxContainers()).isEqualTo(3);
    assertThat(config.node())
        .isEqualTo(new NodeConfig(2, 1024, "eu-west-1", List.of("A100", "A100")));
    assertThat(config.sandbox()).isFalse();
    assertThat(config.defaultScaledownWindow()).isEqualTo(DEFAULTS.defaultScaledownWindow());
  }

  @Test
  void eachOptionAloneLeavesTheOthersAtTheirDefaults() {
    EmbeddedConfig config = SkiffExtension.builder().withoutSandbox().build().config();

    assertThat(config.sandbox()).isFalse();
    assertThat(config.warmContainers()).isEqualTo(DEFAULTS.warmContainers());
    assertThat(config.defaultMaxContainers()).isEqualTo(DEFAULTS.defaultMaxContainers());
    assertThat(config.node()).isEqualTo(DEFAULTS.node());
  }

  @Test
  void buildsGoToTheDataDirectoryUnlessTheSharedCacheIsAsked() {
    assertThat(SkiffExtension.create().config().buildCache()).isEmpty();
    SkiffExtension shared = SkiffExtension.builder().sharedBuildCache().withoutSandbox().build();
    assertThat(shared.config().buildCache()).contains(SkiffExtension.sharedBuildCache());
    assertThat(shared.config().sandbox()).isFalse();
    assertThat(SkiffExtension.sharedBuildCache())
        .isAbsolute()
        .endsWith(Path.of("skiff", "test-builds"));
  }

  @Test
  void containersStartWithC1AloneUnlessOtherOptionsAreGiven() {
    assertThat(SkiffExtension.create().config().containerJvmOptions())
        .containsExactly("-XX:TieredStopAtLevel=1");
    assertThat(
            SkiffExtension.builder()
                .containerJvmOptions(List.of())
                .build()
                .config()
                .containerJvmOptions())
        .isEmpty();
    assertThatThrownBy(() -> SkiffExtension.builder().containerJvmOptions(List.of("-cp")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("container JVM option '-cp' is not allowed; allowed are");
    assertThatThrownBy(() -> SkiffExtension.builder().containerJvmOptions(List.of("Xmx1g")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'Xmx1g' is not allowed");
  }

  @Test
  void anExtensionIsNotChangedByLaterUseOfItsBuilder() {
    SkiffExtension.Builder builder = SkiffExtension.builder();
    SkiffExtension first = builder.build();
    builder.withoutWarmContainers();

    assertThat(first.config().warmContainers()).isEqualTo(DEFAULTS.warmContainers());
    assertThat(builder.build().config().warmContainers()).isZero();
  }

  @Test
  void disallowedValuesAreRefusedWhenSet() {
    assertThatThrownBy(() -> SkiffExtension.builder().defaultMaxContainers(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("defaultMaxContainers must be >= 1, was 0");
    assertThatThrownBy(() -> SkiffExtension.builder().node(0, 1024, "eu-west-1", List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("node cpus must be > 0, was 0.0");
  }
}
