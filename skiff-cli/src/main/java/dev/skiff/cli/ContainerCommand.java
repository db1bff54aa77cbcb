package dev.skiff.cli;

import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.AppStatus;
import dev.skiff.proto.AppStatusRequest;
import dev.skiff.proto.ContainerStatus;
import dev.skiff.proto.FunctionStatus;
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
        "Lists the app's containers per function with their state (starting, idle, busy) and"
            + " running inputs, and per function the queued and running inputs and the containers"
            + " still waiting for room on the node (with the reason).",
      },
      footer = {"", "Example:", "  skiff container list ap-abcdefghij"})
  static final class ListContainers implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "APP", description = "The app (an app id, ap-...).")
    String app;

    @Override
    public void run() {
      String id = AppRefs.appId(app);
      AppStatus status;
      try (SkiffClient client = ServerConnection.connect()) {
        try {
          status = client.blocking().getAppStatus(AppStatusRequest.newBuilder().setAppId(id).build());
        } catch (RuntimeException e) {
          throw client.translate(e);
        }
      }
      Table table = new Table("FUNCTION", "CONTAINER", "STATE", "RUNNING", "QUEUED");
      for (FunctionStatus f : status.getFunctionsList()) {
        table.row(
            f.getFunctionName(),
            "-",
            "function",
            Integer.toString(f.getRunningInputs()),
            Integer.toString(f.getQueuedInputs()));
        for (ContainerStatus c : f.getContainersList()) {
          table.row(
              f.getFunctionName(),
              c.getContainerId(),
              state(c),
              Integer.toString(c.getRunningInputs()),
              "");
        }
        for (int i = 0; i < f.getWaitingContainers(); i++) {
          table.row(f.getFunctionName(), "(waiting)", "waiting: " + f.getWaitingReason(), "0", "");
        }
      }
      table.print(spec.commandLine().getOut());
      spec.commandLine().getOut().flush();
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
