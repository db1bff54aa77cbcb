package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import dev.skiff.FunctionCall;
import dev.skiff.RemoteFunction;
import dev.skiff.internal.Connection;
import dev.skiff.internal.ServerTrust;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.AppHistory;
import dev.skiff.proto.AppHistoryRequest;
import dev.skiff.proto.AppLease;
import dev.skiff.proto.AppState;
import dev.skiff.proto.AppStatusRequest;
import dev.skiff.proto.AppSummary;
import dev.skiff.proto.ClusterStatus;
import dev.skiff.proto.ClusterStatusRequest;
import dev.skiff.proto.FunctionStatus;
import dev.skiff.proto.ListAppsRequest;
import dev.skiff.proto.ReplicaStatus;
import dev.skiff.proto.ScheduledRun;
import dev.skiff.server.store.postgres.LocalPostgres;
import dev.skiff.testing.ServerProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several {@code skiff server} replicas on one real PostgreSQL database, each with its own data
 * directory (their volumes directory shared, as a shared file system mount would be): any replica
 * serves any client, the apps of a replica killed -9 are taken over with their acknowledged calls
 * and schedules, and a replica paused past its lease cannot write for the apps it lost.
 */
@Tag("e2e")
@ExtendWith(LocalPostgres.Extension.class)
class ReplicasTest {
  /** Short, so that takeovers come quickly in a test; the default is 10 s. */
  private static final String LEASE = "4s";

  @TempDir Path dir;
  private final List<ServerProcess> replicas = new ArrayList<>();
  private final List<SkiffClient> clients = new ArrayList<>();

  @AfterEach
  void close(TestInfo test) throws IOException {
    Connection.clearDefault();
    clients.forEach(SkiffClient::close);
    // Each replica's log, for a failure's post-mortem.
    Path logs = Files.createDirectories(Path.of("target", "replicas-logs"));
    for (int i = 0; i < replicas.size(); i++) {
      Files.writeString(
          logs.resolve(test.getTestMethod().orElseThrow().getName() + "-r" + (i + 1) + ".log"),
          replicas.get(i).output());
    }
    replicas.forEach(ServerProcess::close);
  }

  @Test
  void anyReplicaServesAnyClientAndAKilledOwnersAppsAreTakenOver(LocalPostgres postgres)
      throws Exception {
    start(postgres, 3);
    ServerProcess r1 = replicas.get(0);
    ServerProcess r2 = replicas.get(1);
    ServerProcess r3 = replicas.get(2);

    // Deploy through replica 1, which owns the app from then on.
    use(r1);
    DeployedFns.app.deploy();
    assertThat(owner(status(r3), "durable")).contains("r1");

    // Call through replica 3, the web endpoint through replica 2.
    use(r3);
    assertThat(RemoteFunction.fromName("durable", "square", Integer.class).remote(7)).isEqualTo(49);
    assertThat(httpGet(r2.webBaseUrl() + "/durable/greet?name=web")).isEqualTo("\"Hello, web!\"");
    ClusterStatus cluster = status(r2);
    assertThat(cluster.getReplicated()).isTrue();
    assertThat(cluster.getReplicasList())
        .extracting(ReplicaStatus::getId, ReplicaStatus::getLive)
        .contains(tuple("r1", true), tuple("r2", true), tuple("r3", true));
    assertThat(apps(r3))
        .filteredOn(a -> a.getAppName().equals("durable"))
        .singleElement()
        .satisfies(a -> assertThat(a.getReplica()).isEqualTo("r1"));

    // 1,000 durable spawns through replicas 2 and 3; replica 1, the owner, is killed -9 midway.
    Path ids = dir.resolve("ids.txt");
    Files.createFile(ids);
    Process spawner =
        r2.startJava(
            dir.resolve("spawner.log"),
            clientEnv(r2, r3),
            ServerClients.class.getName(),
            "spawn",
            "1000",
            "record.txt",
            ids.toString(),
            "2"); // two at a time: the kill comes in the middle of the spawns
    await()
        .atMost(Duration.ofMinutes(2))
        .until(() -> Files.readAllLines(ids).size() >= 200 || !spawner.isAlive());
    Instant killed = Instant.now();
    r1.kill9();
    int beforeKill = Files.readAllLines(ids).size();
    // The client needs no restart: its spawns are retried until another replica owns the app.
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> owner(status(r2), "durable").filter(o -> !o.equals("r1")).isPresent());
    long takeoverMs = Duration.between(killed, Instant.now()).toMillis();
    await()
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(
            () -> RemoteFunction.fromName("durable", "square", Integer.class).remote(3).equals(9));
    long servedMs = Duration.between(killed, Instant.now()).toMillis();
    assertThat(spawner.waitFor(3, TimeUnit.MINUTES)).isTrue();

    Map<String, Integer> accepted = new HashMap<>();
    for (String line : Files.readAllLines(ids)) {
      String[] parts = line.split(" ", -1);
      accepted.put(parts[0], Integer.parseInt(parts[1]));
    }
    assertThat(accepted).hasSizeGreaterThanOrEqualTo(200);
    String out =
        r3.runJava(
            Duration.ofMinutes(5),
            clientEnv(r3),
            ServerClients.class.getName(),
            "get",
            ids.toString());
    Map<String, Integer> results = KilledSpawns.checkResults(out, accepted);
    List<Integer> runs =
        Files.readAllLines(
                dir.resolve("volumes").resolve(DeployedFns.RECORD_VOLUME).resolve("record.txt"))
            .stream()
            .map(Integer::parseInt)
            .toList();
    assertThat(Set.copyOf(runs)).containsAll(accepted.values());

    // The 1 s schedule: no tick twice across the takeover, and ticks go on at the new owner.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> ticks(r3).stream().anyMatch(r -> r.getStartedAtMs() > killed.toEpochMilli()));
    List<ScheduledRun> ticks = ticks(r3);
    Set<Long> scheduled = new HashSet<>();
    ticks.forEach(r -> assertThat(scheduled.add(r.getScheduledAtMs())).as("tick twice").isTrue());
    // Ticks that fell while no replica owned the app are not run one by one (the missed-tick rule).
    List<Long> times = scheduled.stream().sorted().toList();
    long missed = 0;
    for (int i = 1; i < times.size(); i++) {
      missed += Math.max(0, Math.round((times.get(i) - times.get(i - 1)) / 1000.0) - 1);
    }
    System.out.printf(
        "replicas: kill -9 of the owner after %d of 1000 spawns through other replicas were"
            + " acknowledged (%d in all): all %d completed once, %d runs recorded (%d ran again);"
            + " lease %s:"
            + " another replica owned the app %d ms after the kill, served a call %d ms after it;"
            + " the 1 s schedule missed %d tick(s), none ran twice%n",
        beforeKill,
        accepted.size(),
        results.size(),
        runs.size(),
        runs.size() - Set.copyOf(runs).size(),
        LEASE,
        takeoverMs,
        servedMs,
        missed);
  }

  @Test
  void aPausedOwnerCannotWriteForTheAppsItLost(LocalPostgres postgres) throws Exception {
    start(postgres, 2);
    ServerProcess r1 = replicas.get(0);
    ServerProcess r2 = replicas.get(1);
    use(r1);
    DeployedFns.app.deploy();
    assertThat(owner(status(r2), "durable")).contains("r1");

    // A call that runs on replica 1 while it is paused past its lease.
    use(r2);
    FunctionCall<Long> call =
        RemoteFunction.fromName("durable", "pidAfter", Long.class).spawn(4000);
    await().atMost(Duration.ofSeconds(60)).until(() -> running(r1, "pidAfter") > 0);
    List<Long> pausedContainers =
        ProcessHandle.of(r1.pid()).orElseThrow().descendants().map(ProcessHandle::pid).toList();
    r1.pause();
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> owner(status(r2), "durable").filter("r2"::equals).isPresent());
      long pid = call.get(Duration.ofSeconds(60));
      assertThat(pausedContainers).doesNotContain(pid); // it ran again at replica 2
      r1.resume();
      // Replica 1 wakes with its lost app's writes (the call's result, overdue ticks): refused.
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> r1.output().contains("no longer owns app durable"));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> r1.output().contains("belongs to another replica now"));
      assertThat(FunctionCall.<Long>fromId(call.id()).get(Duration.ofSeconds(10))).isEqualTo(pid);
      List<ScheduledRun> ticks = ticks(r2);
      Set<Long> scheduled = new HashSet<>();
      ticks.forEach(r -> assertThat(scheduled.add(r.getScheduledAtMs())).as("tick twice").isTrue());
      assertThat(owner(status(r2), "durable")).contains("r2");
    } finally {
      r1.resume();
    }
  }

  @Test
  void replicasServingTlsForwardToEachOtherTrustingThePublishedCertificate(LocalPostgres postgres)
      throws Exception {
    startReplicas(postgres, 2, false);
    ServerProcess r1 = replicas.get(0);
    ServerProcess r2 = replicas.get(1);
    Connection.installDefault(r1.target(), token(), r1.clientConfig().trust());
    DeployedFns.app.deploy();
    // Each replica has a certificate of its own; replica 2 reaches replica 1 through its own.
    Connection.installDefault(r2.target(), token(), r2.clientConfig().trust());
    assertThat(RemoteFunction.fromName("durable", "square", Integer.class).remote(8)).isEqualTo(64);
    try (HttpClient http = HttpClient.newBuilder().sslContext(r2.sslContext()).build()) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(r2.webBaseUrl() + "/durable/greet?name=tls"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("\"Hello, tls!\"");
    }
  }

  // ------------------------------------------------------------------------------ helpers

  private void start(LocalPostgres postgres, int n) throws IOException {
    startReplicas(postgres, n, true);
  }

  private void startReplicas(LocalPostgres postgres, int n, boolean plaintext) throws IOException {
    Path password = dir.resolve("db-password");
    Files.writeString(password, LocalPostgres.PASSWORD + "\n");
    String url = postgres.newDatabase() + "?user=" + LocalPostgres.USER;
    Path volumes = Files.createDirectories(dir.resolve("volumes"));
    for (int i = 1; i <= n; i++) {
      List<String> args =
          new ArrayList<>(
              List.of(
                  "--database",
                  url,
                  "--database-password-file",
                  password.toString(),
                  "--replica-id",
                  "r" + i,
                  "--replica-lease",
                  LEASE));
      if (plaintext) {
        args.add("--plaintext");
      }
      replicas.add(
          ServerProcess.startPrepared(
              data -> {
                try {
                  Files.createSymbolicLink(data.resolve("volumes"), volumes);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              },
              args.toArray(String[]::new)));
    }
  }

  private String token() {
    return replicas.get(0).clientConfig().token();
  }

  private void use(ServerProcess... servers) {
    Connection.installDefault(targets(servers), token(), ServerTrust.plaintext());
  }

  private static String targets(ServerProcess... servers) {
    return Arrays.stream(servers).map(ServerProcess::target).collect(Collectors.joining(","));
  }

  private Map<String, String> clientEnv(ServerProcess... servers) {
    return Map.of("SKIFF_SERVER", targets(servers), "SKIFF_TOKEN", token(), "SKIFF_TLS", "off");
  }

  private SkiffClient client(ServerProcess server) {
    SkiffClient c = SkiffClient.connect(server.target(), token(), ServerTrust.plaintext());
    clients.add(c);
    return c;
  }

  private ClusterStatus status(ServerProcess server) {
    return client(server).blocking().getClusterStatus(ClusterStatusRequest.getDefaultInstance());
  }

  private static Optional<String> owner(ClusterStatus status, String app) {
    return status.getLeasesList().stream()
        .filter(l -> l.getApp().equals(app) && l.getExpiresInMs() >= 0)
        .map(AppLease::getOwner)
        .findFirst();
  }

  private List<AppSummary> apps(ServerProcess server) {
    return client(server).blocking().listApps(ListAppsRequest.getDefaultInstance()).getAppsList();
  }

  /** The inputs of {@code function} of app "durable" that run on {@code server} now. */
  private int running(ServerProcess server, String function) {
    String id = durableId(server);
    return client(server)
        .blocking()
        .getAppStatus(AppStatusRequest.newBuilder().setAppId(id).build())
        .getFunctionsList()
        .stream()
        .filter(f -> f.getFunctionName().equals(function))
        .mapToInt(FunctionStatus::getRunningInputs)
        .sum();
  }

  private String durableId(ServerProcess server) {
    return apps(server).stream()
        .filter(a -> a.getAppName().equals("durable") && a.getState() == AppState.APP_DEPLOYED)
        .findFirst()
        .orElseThrow()
        .getAppId();
  }

  private List<ScheduledRun> ticks(ServerProcess server) {
    String id = durableId(server);
    AppHistory h =
        client(server)
            .blocking()
            .getAppHistory(AppHistoryRequest.newBuilder().setAppId(id).build());
    return h.getRunsList().stream().filter(r -> r.getFunctionName().equals("tick")).toList();
  }

  private static String httpGet(String url) {
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(url)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      return r.body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
