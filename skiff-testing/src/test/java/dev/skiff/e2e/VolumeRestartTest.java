package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.AppRun;
import dev.skiff.RunOptions;
import dev.skiff.Volume;
import dev.skiff.internal.Connection;
import dev.skiff.internal.spi.ControlPlaneFactory;
import dev.skiff.internal.spi.EmbeddedConfig;
import dev.skiff.internal.spi.EmbeddedControlPlane;
import dev.skiff.testing.SkiffExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A volume outlives the control plane: a new one on the same data directory finds its files. */
@Tag("e2e")
class VolumeRestartTest {
  @TempDir Path dataDir;

  @AfterEach
  void noContainerLeft() {
    Connection.clearDefault();
    assertThat(SkiffExtension.containerProcesses()).isEmpty();
  }

  private EmbeddedControlPlane start() {
    ControlPlaneFactory factory =
        ServiceLoader.load(ControlPlaneFactory.class).findFirst().orElseThrow();
    EmbeddedControlPlane plane =
        factory.start(EmbeddedConfig.defaults().withWarmContainers(0).withDataDir(dataDir));
    Connection.installDefault(plane.target(), plane.token());
    return plane;
  }

  @Test
  void filesWrittenBeforeAControlPlaneRestartAreReadAfterIt() {
    try (EmbeddedControlPlane first = start();
        AppRun run = VolumeFns.app.run(RunOptions.quiet())) {
      VolumeFns.write.remote("kept", "across restarts");
    }
    try (EmbeddedControlPlane second = start()) {
      assertThat(Volume.list()).contains(VolumeFns.CACHE);
      assertThat(Volume.fromName(VolumeFns.CACHE).read("kept"))
          .isEqualTo("across restarts".getBytes(StandardCharsets.UTF_8));
      try (AppRun run = VolumeFns.app.run(RunOptions.quiet())) {
        assertThat(VolumeFns.read.remote("kept")).isEqualTo("across restarts");
      }
    }
  }
}
