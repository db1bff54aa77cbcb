package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.server.store.postgres.LocalPostgres;
import dev.skiff.testing.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The long-running server with its store in a real PostgreSQL ({@code --database}, the password in
 * a file): durable spawns that returned complete exactly once after kill -9 and a restart, and the
 * deployed app comes back from the database.
 */
@Tag("e2e")
@ExtendWith(LocalPostgres.Extension.class)
class PostgresServerTest {
  @TempDir Path dir;

  @Test
  void spawnsThatReturnedCompleteExactlyOnceAfterKillNineAndRestart(LocalPostgres postgres)
      throws Exception {
    Path password = dir.resolve("db-password");
    Files.writeString(password, LocalPostgres.PASSWORD + "\n");
    String url = postgres.newDatabase() + "?user=" + LocalPostgres.USER;
    try (ServerProcess server =
        ServerProcess.start("--database", url, "--database-password-file", password.toString())) {
      assertThat(server.output()).contains("store in " + url);
      assertThat(server.dataDir().resolve("skiff.db")).doesNotExist();
      server.useInThisJvm();
      DeployedFns.app.deploy();
      Path ids = server.home().resolve("ids.txt");
      Files.createFile(ids);
      Process spawner =
          server.startJava(
              server.home().resolve("spawner.log"),
              ServerClients.class.getName(),
              "spawn",
              "400",
              "record.txt",
              ids.toString());
      await()
          .atMost(Duration.ofMinutes(2))
          .until(() -> Files.readAllLines(ids).size() >= 100 || !spawner.isAlive());
      server.kill9();
      spawner.waitFor();
      Map<String, Integer> accepted = new HashMap<>();
      for (String line : Files.readAllLines(ids)) {
        String[] parts = line.split(" ", -1);
        accepted.put(parts[0], Integer.parseInt(parts[1]));
      }
      assertThat(accepted).hasSizeGreaterThanOrEqualTo(100);

      server.restart();
      String out =
          server.runJava(
              Duration.ofMinutes(3), ServerClients.class.getName(), "get", ids.toString());
      Map<String, Integer> results =
          out.lines()
              .filter(l -> l.startsWith("fc-"))
              .map(l -> l.split(" "))
              .collect(Collectors.toMap(p -> p[0], p -> Integer.parseInt(p[1])));
      assertThat(results).hasSameSizeAs(accepted);
      accepted.forEach((id, input) -> assertThat(results.get(id)).as(id).isEqualTo(input * 2));
      Path record =
          server
              .dataDir()
              .resolve("volumes")
              .resolve(DeployedFns.RECORD_VOLUME)
              .resolve("record.txt");
      List<Integer> runs = Files.readAllLines(record).stream().map(Integer::parseInt).toList();
      assertThat(Set.copyOf(runs)).containsAll(accepted.values());
      System.out.printf(
          "PostgreSQL store: kill -9 with %d of 400 spawns returned: %d runs for %d distinct"
              + " inputs (%d ran again after the restart)%n",
          accepted.size(),
          runs.size(),
          Set.copyOf(runs).size(),
          runs.size() - Set.copyOf(runs).size());
    }
  }
}
