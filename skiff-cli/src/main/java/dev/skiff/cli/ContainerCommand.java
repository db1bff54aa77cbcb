package dev.skiff.cli;

import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.AppStatus;
import dev.skiff.proto.AppStatusRequest;
import dev.skiff.proto.AppSummary;
import dev.skiff.proto.ContainerStatus;
import dev.skiff.proto.FunctionStatus;
import dev.skiff.proto.StopContainerRequest;
import dev.skiff.proto.StopContainerResponse;
import dev.skiff.proto.StreamLogsRequest;
import io.grpc.Status;
import io.grpc.Status.Code;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code skiff container}: the containers of an app. */
@Command(
    name = "container",
    description = "Works with the containers of the configured server's apps.",
    synopsisSubcommandLabel = "COMMAND",
    subcommands = {
      ContainerCommand.ListContainers.class,
      ContainerCommand.Logs.class,
      ContainerCommand.Stop.class
    })
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
            + " node are listed with the reason. Warm-pool containers (JVMs started ahead of need"
            + " for the app's classpath, no function yet) are listed with function '-' and state"
            + " warm; apps on the same classpath list the same ones."
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
            if (app == null && Status.fromThrowable(e).getCode() == Code.NOT_FOUND) {
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
      for (ContainerStatus c : status.getWarmContainersList()) {
        table.row(app, "-", c.getContainerId(), state(c), "0", "");
      }
    }

    private static String state(ContainerStatus c) {
      return switch (c.getState()) {
        case CONTAINER_STARTING -> "starting";
        case CONTAINER_IDLE -> "idle";
        case CONTAINER_BUSY -> "busy";
        case CONTAINER_WARM -> "warm";
        default -> c.getState().name().toLowerCase(Locale.ROOT);
      };
    }
  }

  @Command(
      name = "logs",
      description = {
        "Prints the output lines of one container that the server keeps, as '[function"
            + " container] line', stderr lines marked with '!', and exits.",
        "With --follow it then prints new lines as they come until the container's app stops or"
            + " you press Ctrl-C."
      },
      footer = {"", "Example:", "  skiff container logs c-1a2b3c4d5e6f --follow"})
  static final class Logs implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(
        index = "0",
        paramLabel = "ID",
        description = "The container's id (c-..., as 'skiff container list' shows it).")
    String id;

    @Option(
        names = {"-f", "--follow"},
        description = "After the kept lines, keep printing new lines while the container runs.")
    boolean follow;

    @Mixin LogOptions options;

    @Override
    public void run() {
      StreamLogsRequest.Builder request = options.request(follow); // checks before connecting
      try (SkiffClient client = ServerConnection.connect()) {
        LogLines.print(
            client,
            request.setContainerId(id).build(),
            options.timestamps,
            spec.commandLine().getOut());
      }
    }
  }

  @Command(
      name = "stop",
      description = {
        "Stops one container: it takes no new inputs and finishes what it runs within the"
            + " server's stop grace period, after which it is stopped and what it still holds is"
            + " retried or failed as after a crash.",
        "The autoscaler starts a replacement if the function's demand or minimum needs one."
      },
      footer = {"", "Example:", "  skiff container stop c-1a2b3c4d5e6f"})
  static final class Stop implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(
        index = "0",
        paramLabel = "ID",
        description = "The container's id (c-..., as 'skiff container list' shows it).")
    String id;

    @Override
    public void run() {
      StopContainerResponse stopped;
      try (SkiffClient client = ServerConnection.connect()) {
        try {
          stopped =
              client
                  .blocking()
                  .stopContainer(StopContainerRequest.newBuilder().setContainerId(id).build());
        } catch (RuntimeException e) {
          throw client.translate(e);
        }
      }
      spec.commandLine()
          .getOut()
          .println(
              "stopping container "
                  + id
                  + " of "
                  + stopped.getFunctionName()
                  + " ("
                  + stopped.getAppId()
                  + ")");
      spec.commandLine().getOut().flush();
    }
  }
}
