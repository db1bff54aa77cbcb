package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("e2e")
class RunCommandTest {
  private static final Duration DEADLINE = Duration.ofMinutes(2);
  private Path home;
  private Path work;

  @BeforeEach
  void setUp() throws IOException {
    home = Files.createTempDirectory("skiff-home-");
    work = Files.createTempDirectory("skiff-src-");
  }

  @AfterEach
  void tearDown() {
    CliProcess.deleteTree(home);
    CliProcess.deleteTree(work);
  }

  @Test
  void runsTheHelloExampleFromItsSourceFileAsTheExampleRunnerDoes() {
    CliProcess.Result r =
        CliProcess.run(
            home, DEADLINE, "run", "examples/src/main/java/dev/skiff/examples/Hello.java");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out().lines().toList())
        .hasSize(4)
        .satisfies(
            lines -> {
              assertThat(lines.get(0)).isEqualTo("Hello, World!");
              assertThat(lines.get(1)).isEqualTo("Hello, World!");
              assertThat(lines.get(2)).isEqualTo("[Hello, Alice!, Hello, Bob!, Hello, Charlie!]");
              assertThat(lines.get(3)).matches("spawned fc-[a-z0-9]+: Hello, World!");
            });
  }

  @Test
  void passesArgumentsAndTheProgramsExitCode() throws IOException {
    Path source = work.resolve("Echo.java");
    Files.writeString(
        source,
        """
        public class Echo {
          public static void main(String[] args) {
            System.out.println(String.join("|", args));
            System.exit(args.length);
          }
        }
        """);
    CliProcess.Result r = CliProcess.run(home, DEADLINE, "run", source.toString(), "a", "--b", "c");
    assertThat(r.out()).isEqualTo("a|--b|c\n");
    assertThat(r.exitCode()).isEqualTo(3);
  }

  @Test
  void runsAMainClassFromAClasspath() throws IOException {
    Path classes = Files.createDirectories(work.resolve("classes/p"));
    Path source = work.resolve("Main.java");
    Files.writeString(
        source,
        "package p; public class Main { public static void main(String[] a) {"
            + " System.out.println(\"from classpath \" + a[0]); } }");
    // Compile it with the run command's own compiler path: a .java run leaves nothing behind,
    // so compile here with javax.tools directly.
    int rc =
        ToolProvider.getSystemJavaCompiler()
            .run(null, null, null, "-d", classes.getParent().toString(), source.toString());
    assertThat(rc).isZero();
    CliProcess.Result r =
        CliProcess.run(
            home, DEADLINE, "run", "--class", "p.Main", "-cp", classes.getParent().toString(), "x");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("from classpath x\n");
  }

  @Test
  void aFileThatDoesNotCompileFailsWithTheCompilersMessageAndOneLine() throws IOException {
    Path source = work.resolve("Broken.java");
    Files.writeString(source, "public class Broken { void f() { int x = \"no\"; } }");
    CliProcess.Result r = CliProcess.run(home, DEADLINE, "run", source.toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err())
        .contains("Broken.java:1: error: incompatible types")
        .contains("skiff: '" + source + "' does not compile");
  }

  @Test
  void aMissingFileOrClassIsAUsageError() {
    CliProcess.Result r = CliProcess.run(home, DEADLINE, "run", "NoSuch.java");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("skiff: cannot read 'NoSuch.java': no such file\n");
    CliProcess.Result none = CliProcess.run(home, DEADLINE, "run");
    assertThat(none.exitCode()).isEqualTo(2);
    assertThat(none.err()).contains("give a .java file, or --class NAME");
  }
}
