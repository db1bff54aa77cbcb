package dev.skiff.cli;

import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.AppStatus;
import dev.skiff.proto.AppStatusRequest;
import dev.skiff.proto.AppSummary;
import dev.skiff.proto.ContainerStatus;
import dev.skiff.proto.FunctionStatus;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code skiff container}: the containers of an app. */
@Command(
    name = "container",
    description = "Works with the containers of the configured server's apps.",
    synopsisSubcommandLabel = "COMMAND",
    subcommands = {ContainerCommand.ListContainers.class})
final class ContainerCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(
      name = "list",
      description = {
        "Lists the containers of an app (or of every app) per function with their state"
            + " (starting, idle, busy, stopping) and running inputs; each function's own row"
            + " shows its queued and running inputs, and containers still waiting for room on the"
            + " node are listed with the reason."
      },
      footer = {"", "Example:", "  skiff container list hello"})
  static final class ListContainers implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(
        index = "0",
        arity = "0..1",
        paramLabel = "APP",
        description = "The app: its name or id (ap-...). Without it, every app of the server.")
    String app;

    @Override
    public void run() {
      Table table = new Table("APP", "FUNCTION", "CONTAINER", "STATE", "RUNNING", "QUEUED");
      try (SkiffClient client = ServerConnection.connect()) {
        List<AppSummary> apps =
            app != null ? List.of(AppRefs.find(client, app)) : AppRefs.list(client);
        for (AppSummary a : apps) {
          AppStatus status;
          try {
            status =
                client
                    .blocking()
                    .getAppStatus(AppStatusRequest.newBuilder().setAppId(a.getAppId()).build());
          } catch (RuntimeException e) {
            if (app == null && io.grpc.Status.fromThrowable(e).getCode() == io.grpc.Status.Code.NOT_FOUND) {
              continue; // stopped since it was listed
            }
            throw client.translate(e);
          }
          addRows(table, a.getAppName(), status);
        }
      }
      table.print(spec.commandLine().getOut());
      spec.commandLine().getOut().flush();
    }

    private static void addRows(Table table, String app, AppStatus status) {
      for (FunctionStatus f : status.getFunctionsList()) {
        table.row(
            app,
            f.getFunctionName(),
            "-",
            "function",
            Integer.toString(f.getRunningInputs()),
            Integer.toString(f.getQueuedInputs()));
        for (ContainerStatus c : f.getContainersList()) {
          table.row(
              app,
              f.getFunctionName(),
              c.getContainerId(),
              state(c),
              Integer.toString(c.getRunningInputs()),
              "");
        }
        for (int i = 0; i < f.getWaitingContainers(); i++) {
          table.row(
              app, f.getFunctionName(), "(waiting)", "waiting: " + f.getWaitingReason(), "0", "");
        }
      }
    }

    private static String state(ContainerStatus c) {
      return switch (c.getState()) {
        case CONTAINER_STARTING -> "starting";
        case CONTAINER_IDLE -> "idle";
        case CONTAINER_BUSY -> "busy";
        default -> c.getState().name().toLowerCase(Locale.ROOT);
      };
    }
  }
}
