package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.AppRun;
import dev.skiff.RunOptions;
import dev.skiff.UnsupportedOptionException;
import dev.skiff.Volume;
import dev.skiff.testing.SkiffExtension;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Without the sandbox, containers are plain processes and volumes are refused at app.run(). */
@Tag("e2e")
class NoSandboxTest {
  @RegisterExtension
  static final SkiffExtension skiff = SkiffExtension.builder().withoutSandbox().build();

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
  void aFunctionWithSecretsFailsAtRunWithoutTheSandbox() {
    assertThatThrownBy(() -> UnsandboxedFns.withSecret.run(RunOptions.quiet()))
        .isInstanceOf(UnsupportedOptionException.class)
        .hasMessageContaining(
            "function 'holdsSecret' of app 'unsandboxed-secret' has secrets, which run only in the"
                + " container sandbox")
        .hasMessageContaining("install bubblewrap");
  }

  @Test
  void aFunctionThatBlocksTheNetworkFailsAtRunWithoutTheSandbox() {
    assertThatThrownBy(() -> UnsandboxedFns.blocksNetwork.run(RunOptions.quiet()))
        .isInstanceOf(UnsupportedOptionException.class)
        .hasMessageContaining(
            "function 'offline' of app 'unsandboxed-offline' blocks the network, which needs the"
                + " container sandbox")
        .hasMessageContaining("install bubblewrap");
  }

  @Test
  void aPlainProcessContainerInheritsNothingOfTheControlPlanesEnvironment() {
    assertThat(System.getenv())
        .as("this test needs a variable of its own to look for")
        .containsKey("PATH");
    List<String> names;
    try (AppRun run = UnsandboxedFns.app.run(RunOptions.quiet())) {
      names = UnsandboxedFns.environment.remote();
    }
    // PATH, HOME and LANG are Skiff's own choice of values; everything else is Skiff's contract.
    assertThat(names)
        .allSatisfy(
            n -> assertThat(n).matches("SKIFF_[A-Z_]+|PATH|HOME|LANG|CUDA_VISIBLE_DEVICES"));
    assertThat(
            System.getenv().keySet().stream()
                .filter(n -> !n.matches("SKIFF_[A-Z_]+|PATH|HOME|LANG|CUDA_VISIBLE_DEVICES")))
        .as("variables of the test JVM that a container could have inherited")
        .isNotEmpty()
        .doesNotContainAnyElementsOf(names);
  }

  @Test
  void functionsWithoutVolumesRunAsPlainProcesses() {
    try (AppRun run = Fns.app.run(RunOptions.quiet())) {
      assertThat(Fns.hello.remote("plain")).isEqualTo("Hello, plain!");
      assertThat(SkiffExtension.containerProcesses())
          .isNotEmpty()
          .allSatisfy(
              p ->
                  assertThat(p.parent().flatMap(q -> q.info().command()).orElse(""))
                      .doesNotEndWith("bwrap"));
    }
  }
}
