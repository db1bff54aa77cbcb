package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.App;
import dev.skiff.AppRun;
import dev.skiff.Function1;
import dev.skiff.Image;
import dev.skiff.RunOptions;
import dev.skiff.testing.SkiffExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A Debian image: a minimal bookworm root made with mmdebstrap, packages installed by mmdebstrap
 * (right after debianSlim) and with apt-get inside the root (after other steps), and containers
 * that run inside that root in the sandbox, with the JDK and classpath bound in read-only at their
 * host paths. Needs mmdebstrap and bubblewrap on the node, and Debian's package mirror.
 */
@Tag("e2e")
class DebianImageTest {
  /** The Debian root is made once per machine, not once per run: see README, Working on Skiff. */
  @RegisterExtension
  static final SkiffExtension skiff = SkiffExtension.builder().sharedBuildCache().build();

  static final Path LOCAL =
      Path.of(
          System.getProperty("java.io.tmpdir"),
          "skiff-debian-test-" + ProcessHandle.current().pid() + ".txt");

  static final App app = App.named("images-debian");
  static final Function1<String, String> jq =
      app.function(
          DebianImageTest::jq,
          f ->
              f.image(
                  Image.debianSlim()
                      .aptInstall("jq")
                      .env("MOOD", "calm")
                      .addLocalFile(LOCAL, "/etc/skiff/added.txt")
                      .workdir("/srv/app")
                      .runCommands("echo \"made at build time, $MOOD\" > /srv/app/built.txt")
                      .aptInstall("bc")));

  /** Runs jq inside the container and reports where the container lives. */
  static String jq(String filter) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("jq", "-c", "-n", filter).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("jq failed: " + out);
    }
    return String.join(
        "|",
        out,
        Files.readString(Path.of("/etc/debian_version")).strip().split("\\.", -1)[0],
        Files.readString(Path.of("/etc/skiff/added.txt")).strip(),
        Files.readString(Path.of("built.txt")).strip(),
        Path.of("").toAbsolutePath().toString(),
        System.getenv("MOOD"),
        Boolean.toString(Files.isWritable(Path.of("/usr/bin"))),
        System.getProperty("java.home"),
        Boolean.toString(Files.isExecutable(Path.of("/usr/bin/bc"))),
        Boolean.toString(Files.readString(Path.of("/etc/resolv.conf")).contains("nameserver")));
  }

  @Test
  void aDebianImageWithAnAptPackageRunsThatProgram() throws IOException {
    Files.writeString(LOCAL, "a local file");
    long start = System.nanoTime();
    try (AppRun run = app.run(RunOptions.quiet())) {
      List<String> parts = List.of(jq.remote("{sum: (1 + 2), tool: \"jq\"}").split("\\|"));
      assertThat(parts)
          .containsExactly(
              "{\"sum\":3,\"tool\":\"jq\"}",
              "12",
              "a local file",
              "made at build time, calm",
              "/srv/app",
              "calm",
              "false",
              System.getProperty("java.home"),
              "true",
              Boolean.toString(
                  Files.readString(Path.of("/etc/resolv.conf")).contains("nameserver")));
    }
    long firstMillis = (System.nanoTime() - start) / 1_000_000;
    start = System.nanoTime();
    try (AppRun run = app.run(RunOptions.quiet())) {
      assertThat(jq.remote("[1, 2] | length")).startsWith("2|");
    }
    long secondMillis = (System.nanoTime() - start) / 1_000_000;
    System.out.println(
        "Debian image with jq: first run (mmdebstrap + cold start + call) "
            + firstMillis
            + " ms, second run (cached) "
            + secondMillis
            + " ms");
  }

  @AfterAll
  static void removeLocalFile() throws IOException {
    Files.deleteIfExists(LOCAL);
  }
}
