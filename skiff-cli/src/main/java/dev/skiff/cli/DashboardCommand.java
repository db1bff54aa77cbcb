package dev.skiff.cli;

import dev.skiff.internal.ClientConfig;
import dev.skiff.internal.ServerTrust;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.ClusterStatus;
import dev.skiff.proto.ClusterStatusRequest;
import dev.skiff.proto.ReplicaStatus;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code skiff dashboard}: the URL of the configured server's dashboard, which the server's web
 * gateway serves; on a desktop it is opened in the browser too.
 */
@Command(
    name = "dashboard",
    description = {
      "Prints the URL of the server's dashboard (apps, functions, containers, logs; log in with"
          + " the client token, the 'token' of the client configuration) and, on a desktop, opens"
          + " it in the browser."
    })
final class DashboardCommand implements Runnable {
  /** The dashboard's path on the web port. */
  static final String PATH = "/_skiff/ui/";

  @Spec CommandSpec spec;

  @Option(names = "--no-open", description = "Only print the URL, even on a desktop.")
  boolean noOpen;

  @Override
  public void run() {
    ClientConfig config = ServerConnection.configured();
    ClusterStatus status;
    try (SkiffClient client = ServerConnection.connect()) {
      try {
        status = client.blocking().getClusterStatus(ClusterStatusRequest.getDefaultInstance());
      } catch (RuntimeException e) {
        throw client.translate(e);
      }
    }
    String url = url(status, !(config.trust() instanceof ServerTrust.Plaintext));
    PrintWriter out = spec.commandLine().getOut();
    out.println(url);
    out.flush();
    if (!noOpen) {
      opener(System.getenv()).ifPresent(open -> open(open, url));
    }
  }

  /** The dashboard's URL on the replica that answered (the server itself without replicas). */
  static String url(ClusterStatus status, boolean tls) {
    ReplicaStatus answered =
        status.getReplicasList().stream()
            .filter(r -> r.getId().equals(status.getReplica()))
            .findFirst()
            .orElseThrow(
                () -> new CliException("the server did not say where its web gateway listens"));
    return (tls ? "https://" : "http://") + answered.getWebAddress() + PATH;
  }

  /** The desktop's URL opener ({@code xdg-open}) where a display is set, else empty. */
  static Optional<Path> opener(Map<String, String> env) {
    boolean display =
        !env.getOrDefault("DISPLAY", "").isBlank()
            || !env.getOrDefault("WAYLAND_DISPLAY", "").isBlank();
    if (!display) {
      return Optional.empty();
    }
    for (String dir : env.getOrDefault("PATH", "").split(":")) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, "xdg-open");
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  private void open(Path opener, String url) {
    try {
      new ProcessBuilder(opener.toString(), url)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
    } catch (IOException e) {
      spec.commandLine()
          .getErr()
          .println("skiff dashboard: could not open a browser (" + e.getMessage() + ")");
    }
  }
}
