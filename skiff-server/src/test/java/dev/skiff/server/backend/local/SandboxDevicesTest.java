package dev.skiff.server.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sandboxed container sees the NVIDIA devices of the GPUs it was allocated and no others, run in
 * a real bubblewrap sandbox against a stand-in {@code /dev} with four GPUs (this machine has none).
 */
@Tag("e2e")
class SandboxDevicesTest {
  @TempDir Path dev;
  private Sandbox sandbox;

  @BeforeEach
  void fourGpus() throws IOException {
    for (String name :
        List.of(
            "nvidia0",
            "nvidia1",
            "nvidia2",
            "nvidia3",
            "nvidiactl",
            "nvidia-uvm",
            "nvidia-uvm-tools",
            "nvidia-modeset")) {
      Files.writeString(dev.resolve(name), name);
    }
    Files.createDirectories(dev.resolve("nvidia-caps"));
    Files.writeString(dev.resolve("nvidia-caps/nvidia-cap1"), "cap1");
    Sandbox found =
        Sandbox.probe()
            .orElseThrow(
                () -> new AssertionError("these tests need bubblewrap: " + Sandbox.INSTALL_HINT));
    sandbox = new Sandbox(found.executable(), dev);
  }

  @Test
  void aContainerSeesOnlyTheGpusItWasAllocated() throws Exception {
    assertThat(devicesSeen(List.of(2)))
        .contains(
            dev.resolve("nvidia2").toString(),
            dev.resolve("nvidiactl").toString(),
            dev.resolve("nvidia-uvm").toString(),
            dev.resolve("nvidia-caps/nvidia-cap1").toString())
        .doesNotContain(
            dev.resolve("nvidia0").toString(),
            dev.resolve("nvidia1").toString(),
            dev.resolve("nvidia3").toString());
  }

  @Test
  void aContainerWithoutGpusSeesNoNvidiaDeviceAtAll() throws Exception {
    assertThat(devicesSeen(List.of())).noneSatisfy(p -> assertThat(p).contains("nvidia"));
    assertThat(sandbox.gpuDevices(List.of())).isEmpty();
  }

  /** The NVIDIA device files a sandboxed {@code find} sees under the stand-in {@code /dev}. */
  private List<String> devicesSeen(List<Integer> gpus) throws Exception {
    Sandbox.Spec spec =
        new Sandbox.Spec(
            Path.of(System.getProperty("java.home")),
            List.of(),
            Optional.empty(),
            Map.of(),
            List.of(),
            "/tmp",
            Map.of(),
            Optional.empty(),
            Optional.empty(),
            gpus);
    // The stand-in /dev is under the host's /tmp, which the sandbox replaces with its own: only
    // what was bound appears there.
    Process p =
        new ProcessBuilder(sandbox.wrap(spec, List.of("find", dev.toString(), "-type", "f")))
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return out.lines().filter(l -> l.startsWith(dev.toString())).toList();
  }
}
