package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.server.store.postgres.LocalPostgres;
import dev.skiff.testing.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
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
      Map<String, Integer> accepted = KilledSpawns.spawnAndKill(server, 400, 100);
      server.restart();
      KilledSpawns.checkCompletedOnce(server, accepted, "PostgreSQL store, 400 spawns");
    }
  }
}
