package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server where bubblewrap does not work (here: a {@code PATH} without {@code bwrap}) refuses to
 * start, saying how to install it or opt in; with {@code --allow-unsandboxed} it starts.
 */
@Tag("e2e")
class UnsandboxedServerTest {
  @TempDir Path home;

  @Test
  void aServerWithoutTheSandboxRefusesToStartUnlessAllowed() throws Exception {
    Process refused = server(home.resolve("a"));
    assertThat(refused.waitFor(60, TimeUnit.SECONDS)).as("the server exited").isTrue();
    String out = new String(refused.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(refused.exitValue()).as(out).isEqualTo(1);
    assertThat(out)
        .contains(
            "skiff server: bubblewrap (bwrap) is not installed or does not work here, and a server"
                + " runs no container outside its sandbox unless told to: install bubblewrap")
        .contains("or start it with --allow-unsandboxed");

    Process allowed = server(home.resolve("b"), "--allow-unsandboxed");
    try {
      String line;
      try (var reader = allowed.inputReader(StandardCharsets.UTF_8)) {
        StringBuilder seen = new StringBuilder();
        while ((line = reader.readLine()) != null) {
          seen.append(line).append('\n');
          if (line.startsWith("Skiff server listening on")) {
            break;
          }
        }
        assertThat(line).as(seen.toString()).isNotNull();
        assertThat(seen).contains("--allow-unsandboxed");
      }
    } finally {
      allowed.destroy();
      if (!allowed.waitFor(30, TimeUnit.SECONDS)) {
        allowed.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private static Process server(Path home, String... extra) throws IOException {
    Files.createDirectories(home);
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElseThrow());
    command.addAll(
        List.of(
            "-XX:TieredStopAtLevel=1",
            "-cp",
            System.getProperty("java.class.path"),
            "dev.skiff.server.SkiffServer",
            "--data-dir",
            home.resolve("data").toString(),
            "--port",
            "0",
            "--web-port",
            "0"));
    command.addAll(List.of(extra));
    ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
    b.environment().keySet().removeIf(k -> k.startsWith("SKIFF_"));
    b.environment().put("SKIFF_HOME", home.toString());
    b.environment().put("PATH", home.resolve("no-programs-here").toString());
    return b.start();
  }
}
