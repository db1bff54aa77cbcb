package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

class HelpTest {
  private record Outcome(int code, String out, String err) {}

  private static Outcome execute(String... args) {
    CommandLine cli = Skiff.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int code = cli.execute(args);
    return new Outcome(code, out.toString(), err.toString());
  }

  /** Every command, as the words that name it (empty for the top level). */
  private static List<List<String>> allCommands() {
    List<List<String>> all = new ArrayList<>();
    collect(Skiff.commandLine(), new ArrayList<>(), all);
    return all;
  }

  private static void collect(CommandLine cli, List<String> path, List<List<String>> all) {
    all.add(List.copyOf(path));
    cli.getSubcommands()
        .forEach(
            (name, sub) -> {
              if (!name.equals("help")) {
                List<String> next = new ArrayList<>(path);
                next.add(name);
                collect(sub, next, all);
              }
            });
  }

  private static CommandSpec specOf(List<String> path) {
    CommandLine cli = Skiff.commandLine();
    for (String word : path) {
      cli = cli.getSubcommands().get(word);
    }
    return cli.getCommandSpec();
  }

  @TestFactory
  Stream<DynamicTest> everyCommandsHelpRendersAndNamesEachOptionAndParameter() {
    return allCommands().stream()
        .map(
            path ->
                DynamicTest.dynamicTest(
                    "skiff " + String.join(" ", path) + " --help",
                    () -> {
                      List<String> args = new ArrayList<>(path);
                      args.add("--help");
                      Outcome o = execute(args.toArray(String[]::new));
                      assertThat(o.code()).isZero();
                      assertThat(o.err()).isEmpty();
                      CommandSpec spec = specOf(path);
                      assertThat(o.out())
                          .startsWith("Usage: " + spec.qualifiedName())
                          .contains(spec.usageMessage().description()[0].substring(0, 20));
                      for (OptionSpec option : spec.options()) {
                        assertThat(o.out()).contains(option.longestName());
                        assertThat(option.description())
                            .as("description of %s", option.longestName())
                            .isNotEmpty();
                      }
                      for (PositionalParamSpec p : spec.positionalParameters()) {
                        assertThat(o.out()).contains(p.paramLabel());
                        assertThat(p.description()).isNotEmpty();
                      }
                      for (String sub : spec.subcommands().keySet()) {
                        assertThat(o.out()).contains(sub);
                      }
                    }));
  }

  @Test
  void topLevelHelpListsTheCommands() {
    Outcome o = execute("--help");
    assertThat(o.out()).contains("run", "secret", "SKIFF_HOME");
  }

  @Test
  void logAndContainerCommandsDescribeKeptLinesAndStopping() {
    assertThat(execute("container", "--help").out()).contains("list", "logs", "stop");
    assertThat(execute("app", "logs", "--help").out())
        .contains(
            "keeps", "10,000", "server restart", "--follow", "--tail", "--since", "--timestamps");
    assertThat(execute("container", "logs", "--help").out())
        .contains("ID", "--follow", "--tail", "--since", "--timestamps");
    assertThat(execute("container", "stop", "--help").out())
        .contains("ID", "grace period", "replacement");
  }

  @Test
  void unknownCommandFailsWithUsageAndExitCode2() {
    Outcome o = execute("frobnicate");
    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err()).contains("Unmatched argument", "frobnicate");
  }

  @Test
  @Tag("e2e") // starts the ./skiff launcher as a process
  void launcherRunsTheCommandLine() {
    Path home = Path.of(System.getProperty("java.io.tmpdir"), "skiff-help-home-unused");
    CliProcess.Result r = CliProcess.run(home, Duration.ofSeconds(60), "--help");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).startsWith("Usage: skiff").contains("run", "secret");
    CliProcess.Result v = CliProcess.run(home, Duration.ofSeconds(60), "--version");
    assertThat(v.out()).startsWith("skiff 0.1.0");
  }
}
