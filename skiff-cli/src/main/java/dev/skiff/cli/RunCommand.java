package dev.skiff.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code skiff run}: runs a program whose {@code app.run()} starts its app. */
@Command(
    name = "run",
    description = {
      "Runs a Java program that uses Skiff: a single .java file, compiled on the fly against Skiff,"
          + " or a main class on a classpath. Its app.run() starts an embedded control plane, or"
          + " talks to the server named by SKIFF_SERVER and SKIFF_TOKEN, else by"
          + " $SKIFF_HOME/config.json when that server answers.",
      "Everything after the file (or after the options, with --class) is passed to the program's"
          + " main. The exit code is the program's."
    },
    footer = {
      "",
      "Examples:",
      "  skiff run examples/src/main/java/dev/skiff/examples/Hello.java",
      "  skiff run --class dev.skiff.examples.Hello -cp examples/target/classes"
    })
final class RunCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ProgramOptions program;

  @Parameters(
      paramLabel = "FILE.java | ARGS",
      arity = "0..*",
      description =
          "The .java file to run, then the program's arguments (only arguments with" + " --class).")
  List<String> positional = new ArrayList<>();

  @Override
  public Integer call() {
    try (ProgramOptions.Program p = program.resolve(positional, spec.commandLine().getErr())) {
      return ChildJvm.run(p.classpath(), p.mainClass(), p.args(), p::close);
    }
  }
}
