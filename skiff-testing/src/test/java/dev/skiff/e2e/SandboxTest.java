package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.AppRun;
import dev.skiff.RunOptions;
import dev.skiff.Volume;
import dev.skiff.testing.SkiffExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A sandboxed container sees its image, a private /tmp and its own volumes only: not the control
 * plane's data directory, not other volumes, and no process but its own; everything outside /tmp
 * and its volumes is read-only. Needs bubblewrap, as CI installs it.
 */
@Tag("e2e")
class SandboxTest {
  @RegisterExtension
  static final SkiffExtension skiff = SkiffExtension.builder().withoutWarmContainers().build();

  @Test
  void aContainerSeesOnlyItsOwnFilesVolumesAndProcesses() {
    Volume.fromName("another-apps-volume").createIfMissing().write("secret.txt", new byte[] {1});
    Path otherVolume = skiff.dataDir().resolve("volumes").resolve("another-apps-volume");
    assertThat(otherVolume.resolve("secret.txt")).exists();

    VolumeFns.View view;
    try (AppRun run = VolumeFns.sandboxApp.run(RunOptions.quiet())) {
      view = VolumeFns.inspect.remote(skiff.dataDir().toString(), otherVolume.toString());
    }

    assertThat(view.dataDirVisible()).as("the control plane's data directory is visible").isFalse();
    assertThat(view.otherVolumeVisible()).as("another volume is visible").isFalse();
    assertThat(view.writableOutsideTmpAndVolumes())
        .as("writable outside /tmp and volumes")
        .isEmpty();
    assertThat(view.wroteTmp()).as("/tmp is writable").isTrue();
    assertThat(view.wroteCache()).as("the volume at /cache is writable").isTrue();
    assertThat(view.home()).isEqualTo("/tmp");
    // Its own process namespace: the sandbox's init (bwrap) and the container's JVM, nothing else.
    assertThat(view.processes()).hasSizeLessThanOrEqualTo(2);
    assertThat(view.processes()).anySatisfy(p -> assertThat(p).contains("-Dskiff.container="));
    assertThat(view.processes())
        .allSatisfy(p -> assertThat(p).containsAnyOf("-Dskiff.container=", "bwrap"))
        .noneSatisfy(p -> assertThat(p).contains("surefire"));
    // What it wrote to /tmp stayed in its private /tmp; its volume write went to the volume only.
    assertThat(skiff.dataDir().resolve("volumes/sandbox-cache")).isEmptyDirectory();
  }

  @Test
  void aSandboxedContainersOutputStreamsToTheCaller() {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream tee = new PrintStream(captured, true, StandardCharsets.UTF_8);
    System.setOut(tee);
    System.setErr(tee);
    try (AppRun run = VolumeFns.sandboxApp.run(RunOptions.defaults())) {
      VolumeFns.say.remote("line from the sandbox");
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                String text = captured.toString(StandardCharsets.UTF_8);
                return text.contains("line from the sandbox")
                    && text.contains("line from the sandbox on stderr");
              });
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  @Test
  void killingTheContainerJvmEndsItsSandboxAndTheFunctionRecovers() throws Exception {
    try (AppRun run = VolumeFns.sandboxApp.run(RunOptions.quiet())) {
      VolumeFns.inspect.remote("/nonexistent", "/nonexistent");
      ProcessHandle jvm = SkiffExtension.containerProcesses().get(0);
      ProcessHandle bwrap = jvm.parent().orElseThrow();
      assertThat(bwrap.info().command().orElse("")).endsWith("bwrap");
      jvm.destroyForcibly();
      await().atMost(Duration.ofSeconds(30)).until(() -> !bwrap.isAlive());
      // A new container serves the next call.
      assertThat(VolumeFns.inspect.remote("/nonexistent", "/nonexistent").processes()).isNotEmpty();
    }
  }
}
