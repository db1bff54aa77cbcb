package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.AppRun;
import dev.skiff.RunOptions;
import dev.skiff.UnsupportedOptionException;
import dev.skiff.Volume;
import dev.skiff.testing.SkiffExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Without the sandbox, containers are plain processes and volumes are refused at app.run(). */
class NoSandboxTest {
  @RegisterExtension static final SkiffExtension skiff = SkiffExtension.withoutSandbox();

  @Test
  void aFunctionWithAVolumeFailsAtRunSayingToInstallBubblewrap() {
    assertThatThrownBy(() -> VolumeFns.app.run(RunOptions.quiet()))
        .isInstanceOf(UnsupportedOptionException.class)
        .hasMessageContaining("function 'writeCache' of app 'volumes'")
        .hasMessageContaining("volume '" + VolumeFns.CACHE + "' at /cache")
        .hasMessageContaining("install bubblewrap");
    // Nothing was half-done: the volume that createIfMissing would have made does not exist.
    assertThat(Volume.list()).doesNotContain(VolumeFns.CACHE);
  }

  @Test
  void functionsWithoutVolumesRunAsPlainProcesses() {
    try (AppRun run = Fns.app.run(RunOptions.quiet())) {
      assertThat(Fns.hello.remote("plain")).isEqualTo("Hello, plain!");
      assertThat(SkiffExtension.containerProcesses())
          .isNotEmpty()
          .allSatisfy(p -> assertThat(p.parent().flatMap(q -> q.info().command()).orElse(""))
              .doesNotEndWith("bwrap"));
    }
  }
}
