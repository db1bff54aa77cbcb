package dev.skiff.cli;

import dev.skiff.SkiffException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code skiff} command line: runs programs and their apps, the long-running server, and works
 * with deployed apps, containers and secrets.
 *
 * <p>Errors are printed as one line, {@code skiff: <what was wrong>}, with exit code 1; a command
 * line that cannot be parsed prints what was wrong and the usage hint with exit code 2.
 */
@Command(
    name = "skiff",
    mixinStandardHelpOptions = true,
    scope = CommandLine.ScopeType.INHERIT,
    versionProvider = Skiff.Version.class,
    description = "Runs Java functions in containers on your own machines.",
    synopsisSubcommandLabel = "COMMAND",
    subcommands = {
      RunCommand.class,
      DeployCommand.class,
      ServerCommand.class,
      AppCommand.class,
      CallCommand.class,
      ContainerCommand.class,
      SecretCommand.class,
      VolumeCommand.class,
      TokenCommand.class,
      DashboardCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {
      "",
      "Run 'skiff COMMAND --help' for the options of a command.",
      "Environment: SKIFF_HOME (default ~/.skiff) holds the data directory, the secret key and the"
          + " client configuration."
    })
public final class Skiff implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Runs the command line and exits with its exit code. */
  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns its exit code (0 on success). */
  public static int execute(String... args) {
    return commandLine().execute(args);
  }

  /** The configured command line, with one-line errors. */
  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Skiff());
    cli.setExecutionExceptionHandler(Skiff::handleError);
    cli.getSubcommands().get("run").setStopAtPositional(true);
    return cli;
  }

  private static int handleError(
      Exception e, CommandLine cli, CommandLine.ParseResult parseResult) {
    PrintWriter err = cli.getErr();
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    if (!(e instanceof SkiffException) && !(e instanceof CliException)) {
      message = e.getClass().getSimpleName() + ": " + message;
    }
    err.println("skiff: " + message.strip().replace("\n", " "));
    err.flush();
    return e instanceof CliException c ? c.exitCode() : 1;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Reads the version that the build wrote. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      Properties p = new Properties();
      try (InputStream in = Skiff.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          p.load(in);
        }
      }
      return new String[] {
        "skiff " + p.getProperty("version", "(unknown version)"),
        "Java " + Runtime.version() + " (" + System.getProperty("java.home") + ")"
      };
    }
  }
}
