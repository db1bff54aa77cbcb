package dev.skiff.cli;

import dev.skiff.internal.Dotenv;
import dev.skiff.internal.spi.EmbeddedConfig;
import dev.skiff.server.secrets.SecretStore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code skiff secret}: named secrets in the data directory's secret store, written directly (no
 * server needed). Values are read from the command line or a dotenv file and never printed.
 */
@Command(
    name = "secret",
    description = {
      "Creates, lists and deletes named secrets, which functions use with Secret.fromName(NAME).",
      "Secrets are kept in <data-dir>/secrets/, encrypted with AES-256-GCM; the key is"
          + " $SKIFF_HOME/secret.key (default ~/.skiff/secret.key), readable by its owner only."
          + " The embedded control plane and 'skiff server' read them when an app starts."
    },
    synopsisSubcommandLabel = "COMMAND",
    subcommands = {
      SecretCommand.Create.class,
      SecretCommand.ListSecrets.class,
      SecretCommand.Delete.class
    })
final class SecretCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The store option shared by the subcommands. */
  static final class StoreOption {
    @Option(
        names = "--data-dir",
        paramLabel = "DIR",
        description =
            "The control plane's data directory (default: $SKIFF_HOME/data, else"
                + " ~/.skiff/data).")
    Path dataDir;

    SecretStore store() {
      Path dir = dataDir != null ? dataDir : EmbeddedConfig.defaultDataDir();
      return SecretStore.open(dir, SecretStore.defaultKeyFile(), Clock.systemUTC());
    }
  }

  @Command(
      name = "create",
      description = {
        "Creates the secret NAME from KEY=VALUE pairs and/or a dotenv file (pairs win over the"
            + " file). Keys are environment variable names ([A-Za-z_][A-Za-z0-9_]*, not"
            + " starting with SKIFF_).",
        "Values given as arguments are visible to other local users in the process list while"
            + " this runs; prefer --from-dotenv for real credentials."
      },
      footer = {
        "",
        "Examples:",
        "  skiff secret create db USER=app PASSWORD=s3cret",
        "  skiff secret create api --from-dotenv .env --force"
      })
  static final class Create implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(
        index = "0",
        paramLabel = "NAME",
        description = "The secret's name: 1-64 of" + " [A-Za-z0-9_.-].")
    String name;

    @Parameters(
        index = "1..*",
        arity = "0..*",
        paramLabel = "KEY=VALUE",
        description = "The secret's values.")
    List<String> pairs = new ArrayList<>();

    @Option(
        names = "--from-dotenv",
        paramLabel = "FILE",
        description = "Read KEY=VALUE lines from this dotenv file.")
    Path dotenv;

    @Option(names = "--force", description = "Replace the secret if it exists.")
    boolean force;

    @Mixin StoreOption store = new StoreOption();

    @Override
    public void run() {
      Map<String, String> values = new LinkedHashMap<>();
      if (dotenv != null) {
        values.putAll(Dotenv.read(dotenv, "--from-dotenv: "));
      }
      for (String pair : pairs) {
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          throw new CliException(
              "'"
                  + (eq < 0 ? pair : pair.substring(0, eq + 1) + "...")
                  + "' is not KEY=VALUE (e.g. PASSWORD=s3cret)",
              2);
        }
        values.put(pair.substring(0, eq), pair.substring(eq + 1));
      }
      if (values.isEmpty()) {
        throw new CliException(
            "give the secret's values as KEY=VALUE or with --from-dotenv FILE", 2);
      }
      SecretStore s = store.store();
      if (!force && s.list().stream().anyMatch(e -> e.name().equals(name))) {
        throw new CliException("secret '" + name + "' already exists; use --force to replace it");
      }
      s.put(name, values);
      PrintWriter out = spec.commandLine().getOut();
      out.println(
          "created secret '" + name + "' with keys " + values.keySet().stream().sorted().toList());
      out.flush();
    }
  }

  @Command(
      name = "list",
      description = "Lists the secrets: name, keys and last change. Values are never shown.")
  static final class ListSecrets implements Runnable {
    @Spec CommandSpec spec;

    @Mixin StoreOption store = new StoreOption();

    @Override
    public void run() {
      PrintWriter out = spec.commandLine().getOut();
      List<SecretStore.Entry> entries = store.store().list();
      Table table = new Table("NAME", "KEYS", "UPDATED");
      for (SecretStore.Entry e : entries) {
        table.row(e.name(), String.join(",", e.keys()), e.updated().toString());
      }
      table.print(out);
      out.flush();
    }
  }

  @Command(
      name = "delete",
      description = "Deletes the secret NAME. Apps already running keep the values they got.")
  static final class Delete implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "The secret to delete.")
    String name;

    @Mixin StoreOption store = new StoreOption();

    @Override
    public void run() {
      store.store().delete(name);
      spec.commandLine().getOut().println("deleted secret '" + name + "'");
      spec.commandLine().getOut().flush();
    }
  }
}
