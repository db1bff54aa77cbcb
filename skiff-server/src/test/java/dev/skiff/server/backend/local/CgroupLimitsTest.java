package dev.skiff.server.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pure parts of {@link CgroupLimits}; PlacementTest checks the limits on real containers. */
class CgroupLimitsTest {
  @Test
  void readsTheGroupsOfEachControllerFromProcSelfCgroup() {
    assertThat(
            CgroupLimits.ownGroups(
                List.of(
                    "12:cpu,cpuacct:/user.slice",
                    "4:memory:/process_api/af61",
                    "1:name=systemd:/",
                    "0::/init.scope")))
        .containsEntry("cpu", "/user.slice")
        .containsEntry("cpuacct", "/user.slice")
        .containsEntry("memory", "/process_api/af61")
        .containsEntry("", "/init.scope");
  }

  @Test
  void theLaunchJoinsEveryGroupThenExecsTheCommand() throws Exception {
    CgroupLimits.Group group =
        new CgroupLimits.Group(
            List.of(Path.of("/sys/fs/cgroup/memory/x"), Path.of("/sys/fs/cgroup/cpu/x")),
            Optional.empty(),
            false);
    List<String> wrapped = group.wrap(List.of("java", "-version"));
    assertThat(wrapped.subList(0, 2)).containsExactly("/bin/sh", "-c");
    assertThat(wrapped.subList(3, wrapped.size()))
        .containsExactly(
            "skiff-cgroup",
            "/sys/fs/cgroup/memory/x/cgroup.procs",
            "/sys/fs/cgroup/cpu/x/cgroup.procs",
            "--",
            "java",
            "-version");
  }

  @Test
  void theLaunchScriptWritesItsOwnPidToEachFileAndKeepsItWhenItExecs(@TempDir Path dir)
      throws Exception {
    CgroupLimits.Group group =
        new CgroupLimits.Group(
            List.of(dir.resolve("a"), dir.resolve("b")), Optional.empty(), false);
    Files.createDirectories(dir.resolve("a"));
    Files.createDirectories(dir.resolve("b"));
    Process p =
        new ProcessBuilder(group.wrap(List.of("/bin/sh", "-c", "echo $$")))
            .redirectErrorStream(true)
            .start();
    String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor()).isZero();
    assertThat(printed).isEqualTo(Long.toString(p.pid()));
    assertThat(Files.readString(dir.resolve("a/cgroup.procs")).trim()).isEqualTo(printed);
    assertThat(Files.readString(dir.resolve("b/cgroup.procs")).trim()).isEqualTo(printed);
  }
}
