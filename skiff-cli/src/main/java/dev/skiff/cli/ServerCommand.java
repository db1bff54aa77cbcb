package dev.skiff.cli;

import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.AppLease;
import dev.skiff.proto.ClusterStatus;
import dev.skiff.proto.ClusterStatusRequest;
import dev.skiff.proto.ReplicaStatus;
import dev.skiff.server.SkiffServer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code skiff server}: the long-running control plane, in this process. */
@Command(
    name = "server",
    description = {
      "Runs the long-running Skiff server until SIGTERM or Ctrl-C: deployed apps, their schedules"
          + " and web endpoints, and spawned calls are kept in DIR/skiff.db (or the PostgreSQL"
          + " database of --database) and come back after a restart.",
      "On start it writes the client configuration $SKIFF_HOME/config.json (default"
          + " ~/.skiff/config.json) with its address, API token and TLS certificate, which programs"
          + " and the other skiff commands read.",
      "Its API and web endpoints use TLS, with --tls-cert/--tls-key or a certificate it generates;"
          + " --plaintext is for loopback only."
    },
    subcommands = {ServerCommand.Status.class},
    footer = {
      "",
      "Examples:",
      "  skiff server --port 7733",
      "  skiff server status    (the replicas of the server and the apps each owns)"
    })
final class ServerCommand implements Callable<Integer> {
  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "The data directory: store, deployed jars, secrets (default: $SKIFF_HOME/data,"
              + " else ~/.skiff/data).")
  Path dataDir;

  @Option(
      names = "--host",
      paramLabel = "HOST",
      description = "The address to listen on (default: 127.0.0.1, loopback only).")
  String host;

  @Option(
      names = "--port",
      paramLabel = "N",
      description =
          "The port to listen on (default: "
              + SkiffServer.DEFAULT_PORT
              + "; 0 for any"
              + " free port).")
  Integer port;

  @Option(
      names = "--web-port",
      paramLabel = "N",
      description =
          "The port of the web endpoints' gateway (default: 7734; 0 for any free port),"
              + " fixed so that deployed endpoints keep their URL across restarts.")
  Integer webPort;

  @Option(
      names = "--container-port",
      paramLabel = "N",
      description =
          "A port on the host where containers on other machines (pods of the Kubernetes"
              + " backend) reach the server, with its TLS; container tokens only (default: 0,"
              + " none).")
  Integer containerPort;

  @Option(
      names = "--result-retention",
      paramLabel = "D",
      description = "How long results of spawned calls are kept (default: 7d; e.g. 12h, 30m, 90s).")
  String retention;

  @Option(
      names = "--allow-unsandboxed",
      description =
          "Where bubblewrap does not work, run containers as plain processes that see this"
              + " machine's files and network (without this, the server refuses to start there).")
  boolean allowUnsandboxed;

  @Option(
      names = "--tls-cert",
      paramLabel = "FILE",
      description =
          "The certificate (PEM; the server's first, then any intermediates) that the API"
              + " and the web endpoints serve TLS with (default: one generated on first start in"
              + " DIR/tls, which the client configuration pins).")
  Path tlsCert;

  @Option(
      names = "--tls-key",
      paramLabel = "FILE",
      description = "The private key of --tls-cert (PEM, unencrypted PKCS#8).")
  Path tlsKey;

  @Option(
      names = "--container-jvm-options",
      paramLabel = "OPTIONS",
      description =
          "JVM options, separated by spaces, added to every container's java command line"
              + " (e.g. --container-jvm-options='-XX:+UseZGC -Xss2m'); not -cp or -jar.")
  String containerJvmOptions;

  @Option(
      names = "--backend",
      paramLabel = "NAME",
      description =
          "Where containers run (default: local, child processes of this server); an unknown or"
              + " unavailable name fails, listing the available ones.")
  String backend;

  @Option(
      names = "--max-warm-containers",
      paramLabel = "N",
      description =
          "The most warm-pool containers (JVMs started ahead of need, one per classpath of the"
              + " running apps) kept in all; default 4, 0 turns the pool off.")
  Integer maxWarmContainers;

  @Option(
      names = "--app-lease",
      paramLabel = "D",
      description =
          "How long an app of app.run() lives after its client stops renewing its lease, e.g."
              + " because it was killed (default 30s; 1s..1h; e.g. 10s, 2m).")
  String appLease;

  @Option(
      names = "--max-message-mib",
      paramLabel = "N",
      description =
          "The largest gRPC message accepted, in MiB (default 64; payloads past 4 MiB travel as"
              + " blobs).")
  Integer maxMessageMib;

  @Option(
      names = "--max-blob-mib",
      paramLabel = "N",
      description = "The largest blob (a payload past 4 MiB), in MiB (default 256).")
  Long maxBlobMib;

  @Option(
      names = "--blob-quota-mib",
      paramLabel = "N",
      description = "The most all stored blobs may hold together, in MiB (default 16384).")
  Long blobQuotaMib;

  @Option(
      names = "--container-memory-mib",
      paramLabel = "N",
      description =
          "The memory limit of a container whose function sets none, in MiB (default 2048; 0:"
              + " none).")
  Long containerMemoryMib;

  @Option(
      names = "--container-pids",
      paramLabel = "N",
      description =
          "The most processes and threads of one container, where control groups allow (default"
              + " 4096; 0: no limit).")
  Integer containerPids;

  @Option(
      names = "--log-rate",
      paramLabel = "N",
      description =
          "The most lines of output per second of one container, with bursts of twice as many;"
              + " lines beyond it are dropped and counted (default 1000; 1..1000000).")
  Integer logRate;

  @Option(
      names = "--web-max-buffered-mib",
      paramLabel = "N",
      description =
          "The most request-body bytes the web endpoints hold at once, in MiB; a request past it"
              + " is answered 503 with Retry-After (default 256).")
  Long webMaxBufferedMib;

  @Option(
      names = "--web-max-connections",
      paramLabel = "N",
      description = "The most open connections to the web endpoints (default 4096).")
  Integer webMaxConnections;

  @Option(
      names = "--web-idle-timeout",
      paramLabel = "D",
      description =
          "A web connection that sends nothing for this long is closed (default 30s; 1s..1h).")
  String webIdleTimeout;

  @Option(
      names = "--web-read-timeout",
      paramLabel = "D",
      description =
          "A web request's body must arrive within this long, else it is answered 408"
              + " (default 30s; 1s..1h).")
  String webReadTimeout;

  @Option(
      names = "--database",
      paramLabel = "URL",
      description =
          "Keep the store in this PostgreSQL database instead of DIR/skiff.db:"
              + " jdbc:postgresql://HOST:PORT/DATABASE, without a password (refused). The user is"
              + " $SKIFF_DATABASE_USER (else the URL's user=), the password"
              + " $SKIFF_DATABASE_PASSWORD or --database-password-file. Jars, images, secrets,"
              + " blobs and volumes stay in DIR.")
  String database;

  @Option(
      names = "--database-password-file",
      paramLabel = "FILE",
      description =
          "Read the database password from FILE (its first line) instead of"
              + " $SKIFF_DATABASE_PASSWORD.")
  Path databasePasswordFile;

  @Option(
      names = "--metrics-token-file",
      paramLabel = "FILE",
      description =
          "The web port's /metrics requires the token in FILE (its first line) as"
              + " 'Authorization: Bearer TOKEN'; without it, /metrics is open (app and function"
              + " names, counts and timings only). See docs/metrics.md.")
  Path metricsTokenFile;

  @Option(
      names = "--replica-id",
      paramLabel = "ID",
      description =
          "With --database: this replica's id among the servers on the database (default: a"
              + " random one; 1-64 of letters, digits, '.', '-', '_').")
  String replicaId;

  @Option(
      names = "--replica-lease",
      paramLabel = "D",
      description =
          "With --database: how long a replica that stops renewing keeps its apps before another"
              + " takes them over (default: 10s; 2s..5m).")
  String replicaLease;

  @Option(
      names = "--advertise",
      paramLabel = "HOST:PORT",
      description =
          "With --database: where clients and the other replicas reach this one (default: the"
              + " address it listens on).")
  String advertise;

  @Option(
      names = "--plaintext",
      description = "No TLS; refused unless --host is a loopback address.")
  boolean plaintext;

  @Override
  public Integer call() throws InterruptedException {
    List<String> args = new ArrayList<>();
    if (dataDir != null) {
      args.add("--data-dir");
      args.add(dataDir.toString());
    }
    if (host != null) {
      args.add("--host");
      args.add(host);
    }
    if (port != null) {
      args.add("--port");
      args.add(port.toString());
    }
    if (webPort != null) {
      args.add("--web-port");
      args.add(webPort.toString());
    }
    if (containerPort != null) {
      args.add("--container-port");
      args.add(containerPort.toString());
    }
    if (retention != null) {
      args.add("--result-retention");
      args.add(retention);
    }
    if (allowUnsandboxed) {
      args.add("--allow-unsandboxed");
    }
    if (tlsCert != null) {
      args.add("--tls-cert");
      args.add(tlsCert.toString());
    }
    if (tlsKey != null) {
      args.add("--tls-key");
      args.add(tlsKey.toString());
    }
    if (plaintext) {
      args.add("--plaintext");
    }
    if (containerJvmOptions != null) {
      args.add("--container-jvm-options");
      args.add(containerJvmOptions);
    }
    if (backend != null) {
      args.add("--backend");
      args.add(backend);
    }
    if (maxWarmContainers != null) {
      args.add("--max-warm-containers");
      args.add(maxWarmContainers.toString());
    }
    if (appLease != null) {
      args.add("--app-lease");
      args.add(appLease);
    }
    addIfSet(args, "--max-message-mib", maxMessageMib);
    addIfSet(args, "--max-blob-mib", maxBlobMib);
    addIfSet(args, "--blob-quota-mib", blobQuotaMib);
    addIfSet(args, "--container-memory-mib", containerMemoryMib);
    addIfSet(args, "--container-pids", containerPids);
    addIfSet(args, "--log-rate", logRate);
    addIfSet(args, "--web-max-buffered-mib", webMaxBufferedMib);
    addIfSet(args, "--web-max-connections", webMaxConnections);
    if (webIdleTimeout != null) {
      args.add("--web-idle-timeout");
      args.add(webIdleTimeout);
    }
    if (webReadTimeout != null) {
      args.add("--web-read-timeout");
      args.add(webReadTimeout);
    }
    if (database != null) {
      args.add("--database");
      args.add(database);
    }
    if (replicaId != null) {
      args.add("--replica-id");
      args.add(replicaId);
    }
    if (replicaLease != null) {
      args.add("--replica-lease");
      args.add(replicaLease);
    }
    if (advertise != null) {
      args.add("--advertise");
      args.add(advertise);
    }
    if (databasePasswordFile != null) {
      args.add("--database-password-file");
      args.add(databasePasswordFile.toString());
    }
    if (metricsTokenFile != null) {
      args.add("--metrics-token-file");
      args.add(metricsTokenFile.toString());
    }
    SkiffServer.main(args.toArray(String[]::new)); // returns when the server is stopped
    return 0;
  }

  private static void addIfSet(List<String> args, String option, Number value) {
    if (value != null) {
      args.add(option);
      args.add(value.toString());
    }
  }

  /** {@code skiff server status}: the replicas and the apps each owns. */
  @Command(
      name = "status",
      description = {
        "Shows the server's replicas (several servers on one PostgreSQL database): each one's"
            + " address, when it started and how long ago its last heartbeat was; then each app's"
            + " lease: its owner, the lease's epoch, when it lapses, and why its owner took it.",
        "A server without replicas shows itself alone."
      })
  static final class Status implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      ClusterStatus status;
      try (SkiffClient client = ServerConnection.connect()) {
        try {
          status = client.blocking().getClusterStatus(ClusterStatusRequest.getDefaultInstance());
        } catch (RuntimeException e) {
          throw client.translate(e);
        }
      }
      PrintWriter out = spec.commandLine().getOut();
      if (!status.getReplicated()) {
        ReplicaStatus self = status.getReplicas(0);
        out.println(
            "one server (no replicas): API " + self.getAddress() + ", web " + self.getWebAddress());
        out.flush();
        return;
      }
      out.println(
          "answered by replica "
              + status.getReplica()
              + "; an app moves to another replica "
              + Duration.ofMillis(status.getLeaseMs()).toSeconds()
              + " s after its owner stops renewing its lease");
      Table replicas =
          new Table("REPLICA", "ADDRESS", "WEB", "STATE", "HEARTBEAT", "STARTED", "APPS");
      for (ReplicaStatus r : status.getReplicasList()) {
        long apps =
            status.getLeasesList().stream()
                .filter(l -> l.getOwner().equals(r.getId()) && l.getExpiresInMs() >= 0)
                .count();
        replicas.row(
            r.getId(),
            r.getAddress(),
            r.getWebAddress(),
            r.getLive() ? "live" : "dead",
            ago(r.getHeartbeatAgeMs()),
            Instant.ofEpochMilli(r.getStartedAtMs()).toString(),
            Long.toString(apps));
      }
      replicas.print(out);
      out.println();
      Table leases = new Table("APP", "OWNER", "EPOCH", "LEASE", "HELD", "WHY");
      for (AppLease l : status.getLeasesList()) {
        leases.row(
            l.getApp(),
            l.getOwner().isEmpty() ? "-" : l.getOwner(),
            Long.toString(l.getEpoch()),
            l.getExpiresInMs() >= 0
                ? "lapses in " + ago(l.getExpiresInMs())
                : "free (lapsed " + ago(-l.getExpiresInMs()) + " ago)",
            ago(l.getHeldForMs()),
            l.getReason());
      }
      leases.print(out);
      out.flush();
    }

    private static String ago(long ms) {
      return ms < 10_000 ? ms + " ms" : Duration.ofMillis(ms).toSeconds() + " s";
    }
  }
}
