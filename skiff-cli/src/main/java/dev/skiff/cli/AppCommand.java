package dev.skiff.cli;

import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.AppHistory;
import dev.skiff.proto.AppHistoryRequest;
import dev.skiff.proto.AppState;
import dev.skiff.proto.AppSummary;
import dev.skiff.proto.ScheduledRun;
import dev.skiff.proto.StopAppRequest;
import dev.skiff.proto.StreamLogsRequest;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code skiff app}: apps on the long-running server. */
@Command(
    name = "app",
    description = {
      "Works with the apps of the configured server (SKIFF_SERVER and SKIFF_TOKEN, else"
          + " $SKIFF_HOME/config.json).",
      "APP is an app's name (its current deployment, else the one running app of that name) or"
          + " an app id (ap-..., as AppRun.appId() returns it)."
    },
    synopsisSubcommandLabel = "COMMAND",
    subcommands = {
      AppCommand.ListApps.class,
      AppCommand.Stop.class,
      AppCommand.Logs.class,
      AppCommand.History.class
    })
final class AppCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(
      name = "list",
      description =
          "Lists the server's apps: name, id, state (deployed, ephemeral, draining),"
              + " version and deploy time of deployed apps, and functions.",
      footer = {"", "Example:", "  skiff app list"})
  static final class ListApps implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      List<AppSummary> apps;
      try (SkiffClient client = ServerConnection.connect()) {
        apps = AppRefs.list(client);
      }
      boolean replicated = apps.stream().anyMatch(a -> !a.getReplica().isEmpty());
      Table table =
          replicated
              ? new Table("NAME", "ID", "STATE", "VERSION", "DEPLOYED", "FUNCTIONS", "REPLICA")
              : new Table("NAME", "ID", "STATE", "VERSION", "DEPLOYED", "FUNCTIONS");
      apps.stream()
          .sorted(Comparator.comparing(AppSummary::getAppName).thenComparing(AppSummary::getAppId))
          .forEach(
              a ->
                  row(
                      table,
                      replicated,
                      a.getReplica().isEmpty() ? "(this one)" : a.getReplica(),
                      a.getAppName(),
                      a.getAppId(),
                      a.getProblem().isEmpty()
                          ? state(a.getState())
                          : state(a.getState()) + " (" + a.getProblem() + ")",
                      a.getVersion() == 0 ? "-" : Long.toString(a.getVersion()),
                      a.getDeployedAtMs() == 0
                          ? "-"
                          : Instant.ofEpochMilli(a.getDeployedAtMs()).toString(),
                      String.join(",", a.getFunctionNamesList())));
      table.print(spec.commandLine().getOut());
      spec.commandLine().getOut().flush();
    }

    private static void row(Table table, boolean replicated, String replica, String... cells) {
      if (!replicated) {
        table.row(cells);
        return;
      }
      String[] withReplica = Arrays.copyOf(cells, cells.length + 1);
      withReplica[cells.length] = replica;
      table.row(withReplica);
    }

    private static String state(AppState state) {
      return switch (state) {
        case APP_DEPLOYED -> "deployed";
        case APP_EPHEMERAL -> "ephemeral";
        case APP_DRAINING -> "draining";
        case APP_NOT_RESTORED -> "not restored";
        default -> state.name().toLowerCase(Locale.ROOT);
      };
    }
  }

  @Command(
      name = "stop",
      description =
          "Stops the app APP: a deployed app is undeployed (its schedules and web"
              + " endpoints end); its containers are told to shut down.",
      footer = {"", "Example:", "  skiff app stop hello"})
  static final class Stop implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "APP", description = "The app to stop.")
    String app;

    @Override
    public void run() {
      try (SkiffClient client = ServerConnection.connect()) {
        String id = AppRefs.find(client, app).getAppId();
        try {
          client.blocking().stopApp(StopAppRequest.newBuilder().setAppId(id).build());
        } catch (RuntimeException e) {
          throw client.translate(e);
        }
      }
      spec.commandLine().getOut().println("stopped app " + app);
      spec.commandLine().getOut().flush();
    }
  }

  @Command(
      name = "logs",
      description = {
        "Prints the output lines of the app's containers that the server keeps (the newest 10,000"
            + " per app; a deployed app's survive a server restart) as '[function container]"
            + " line', stderr lines marked with '!', and exits.",
        "With --follow it then prints new lines as they come until the app stops or you press"
            + " Ctrl-C."
      },
      footer = {
        "",
        "Examples:",
        "  skiff app logs hello",
        "  skiff app logs hello --tail 20 --follow"
      })
  static final class Logs implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "APP", description = "The app whose logs to print.")
    String app;

    @Option(
        names = {"-f", "--follow"},
        description = "After the kept lines, keep printing new lines as the containers write them.")
    boolean follow;

    @Mixin LogOptions options;

    @Override
    public void run() {
      StreamLogsRequest.Builder request = options.request(follow); // checks before connecting
      try (SkiffClient client = ServerConnection.connect()) {
        String id = AppRefs.find(client, app).getAppId();
        LogLines.print(
            client, request.setAppId(id).build(), options.timestamps, spec.commandLine().getOut());
      }
    }
  }

  @Command(
      name = "history",
      description = "Lists the app's scheduled runs, oldest first: function, tick, start, outcome.",
      footer = {"", "Example:", "  skiff app history scheduled"})
  static final class History implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "APP", description = "The app whose runs to list.")
    String app;

    @Override
    public void run() {
      AppHistory history;
      try (SkiffClient client = ServerConnection.connect()) {
        String id = AppRefs.find(client, app).getAppId();
        try {
          history =
              client.blocking().getAppHistory(AppHistoryRequest.newBuilder().setAppId(id).build());
        } catch (RuntimeException e) {
          throw client.translate(e);
        }
      }
      Table table = new Table("FUNCTION", "SCHEDULED", "STARTED", "OUTCOME");
      for (ScheduledRun run : history.getRunsList()) {
        table.row(
            run.getFunctionName(),
            Instant.ofEpochMilli(run.getScheduledAtMs()).toString(),
            Instant.ofEpochMilli(run.getStartedAtMs()).toString(),
            outcome(run));
      }
      table.print(spec.commandLine().getOut());
      spec.commandLine().getOut().flush();
    }

    private static String outcome(ScheduledRun run) {
      if (run.getFinishedAtMs() == 0) {
        return "running";
      }
      if (run.getResult().hasError()) {
        return "failed: " + CallCommand.describe(run.getResult().getError());
      }
      return "succeeded";
    }
  }
}
