package dev.skiff.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code skiff deploy}: deploys a program's app to the long-running server. */
@Command(
    name = "deploy",
    description = {
      "Deploys the App of a program to the configured server, like app.deploy(): a single .java"
          + " file (compiled on the fly) or a class on a classpath. The class's App is its static"
          + " field of type App, or its static method app() returning one.",
      "The program's classpath is uploaded (jars the server already has are not sent again); the"
          + " app then runs on the server, with its schedules and web endpoints, until"
          + " 'skiff app stop NAME'. Deploying the same name again replaces its functions."
    },
    footer = {
      "",
      "Examples:",
      "  skiff deploy examples/src/main/java/dev/skiff/examples/Scheduled.java",
      "  skiff deploy --class dev.skiff.examples.Hello -cp examples/target/classes"
    })
final class DeployCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ProgramOptions program;

  @Parameters(
      paramLabel = "FILE.java",
      arity = "0..1",
      description = "The .java file whose App to deploy (or use --class).")
  List<String> positional = new ArrayList<>();

  @Override
  public Integer call() {
    if (program.mainClass != null && !positional.isEmpty()) {
      throw new CliException("give either a .java file or --class NAME, not both", 2);
    }
    ServerConnection.configured(); // fail here, in one line, when no server is configured
    try (ProgramOptions.Program p = program.resolve(positional, spec.commandLine().getErr())) {
      List<String> args = new ArrayList<>();
      args.add(p.mainClass());
      return ChildJvm.run(p.classpath(), DeployMain.class.getName(), args, p::close);
    }
  }
}
