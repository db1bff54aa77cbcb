package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.App;
import dev.skiff.Function1;
import dev.skiff.internal.Connection;
import dev.skiff.internal.ServerTrust;
import dev.skiff.server.store.postgres.LocalPostgres;
import dev.skiff.testing.ServerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code skiff server status} and {@code skiff app list} on two replicas of one server (real
 * PostgreSQL): the replicas, which owns the app and why, and a replica that died.
 */
@Tag("e2e")
@ExtendWith(LocalPostgres.Extension.class)
class ServerStatusTest {
  private static final Duration DEADLINE = Duration.ofMinutes(2);

  static final App app = App.named("owned");
  static final Function1<Integer, Integer> twice = app.function(ServerStatusTest::twice);

  static int twice(int x) {
    return 2 * x;
  }

  @TempDir Path dir;
  private final List<ServerProcess> replicas = new ArrayList<>();

  @AfterEach
  void close() {
    Connection.clearDefault();
    replicas.forEach(ServerProcess::close);
  }

  @Test
  void statusListsTheReplicasAndWhichOwnsEachApp(LocalPostgres postgres) throws IOException {
    Path password = dir.resolve("db-password");
    Files.writeString(password, LocalPostgres.PASSWORD + "\n");
    String url = postgres.newDatabase() + "?user=" + LocalPostgres.USER;
    for (String id : List.of("east", "west")) {
      replicas.add(
          ServerProcess.start(
              "--plaintext",
              "--database",
              url,
              "--database-password-file",
              password.toString(),
              "--replica-id",
              id,
              "--replica-lease",
              "3s"));
    }
    String token = replicas.get(0).clientConfig().token();
    String both = replicas.get(0).target() + "," + replicas.get(1).target();
    Connection.installDefault(replicas.get(0).target(), token, ServerTrust.plaintext());
    app.deploy();
    Map<String, String> env =
        Map.of("SKIFF_SERVER", both, "SKIFF_TOKEN", token, "SKIFF_TLS", "off");

    CliProcess.Result status = CliProcess.run(dir, env, DEADLINE, "server", "status");
    assertThat(status.exitCode()).as(status.all()).isZero();
    assertThat(status.out())
        .contains("REPLICA", "east", "west", "live")
        .containsPattern("owned\\s+east\\s+\\d+\\s+lapses in .*deployed through this replica");
    CliProcess.Result list = CliProcess.run(dir, env, DEADLINE, "app", "list");
    assertThat(list.out()).contains("REPLICA").containsPattern("owned .*twice\\s+east");

    // The owner dies: the other replica takes the app over, and says why.
    replicas.get(0).kill9();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                CliProcess.run(dir, env, DEADLINE, "server", "status")
                    .out()
                    .contains("replica east stopped renewing its lease"));
    CliProcess.Result after = CliProcess.run(dir, env, DEADLINE, "server", "status");
    assertThat(after.out())
        .containsPattern("east\\s+\\S+\\s+\\S+\\s+dead")
        .containsPattern("owned\\s+west\\s+\\d+\\s+lapses in");
  }
}
