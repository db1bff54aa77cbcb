package dev.skiff.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.server.store.Store;
import dev.skiff.server.store.postgres.LocalPostgres;
import dev.skiff.server.store.postgres.PostgresStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code --database}: the server's store in PostgreSQL, and its credentials. */
@ExtendWith(LocalPostgres.Extension.class)
class SkiffServerDatabaseTest {
  private static final SkiffServer.Options DEFAULTS =
      new SkiffServer.Options(
          Path.of("/d"), "127.0.0.1", 7733, 7734, Duration.ofDays(7), Path.of("/c.json"));

  @TempDir Path dir;
  private final LocalPostgres postgres;

  SkiffServerDatabaseTest(LocalPostgres postgres) {
    this.postgres = postgres;
  }

  private static SkiffServer.Options parse(String... args) {
    return SkiffServer.parse(args, DEFAULTS);
  }

  @Test
  void theStoreIsSqliteUnlessADatabaseIsGiven() {
    assertThat(DEFAULTS.database()).isEmpty();
    SkiffServer.Options o =
        parse("--database", "jdbc:postgresql://db:5432/skiff", "--database-password-file", "/p");
    assertThat(o.database())
        .contains(
            new SkiffServer.Database(
                "jdbc:postgresql://db:5432/skiff", Optional.of(Path.of("/p"))));
  }

  @Test
  void aPasswordOnTheCommandLineIsRefusedWithoutEchoingIt() {
    assertThatThrownBy(
            () -> parse("--database", "jdbc:postgresql://db/skiff?user=skiff&password=hunter2"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("--database must not carry a password")
        .hasMessageContaining("$SKIFF_DATABASE_PASSWORD or with --database-password-file FILE")
        .hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> parse("--database", "postgres://db/skiff"))
        .hasMessageContaining("is not a PostgreSQL JDBC URL");
    assertThatThrownBy(() -> parse("--database-password-file", "/p"))
        .hasMessageStartingWith("--database-password-file needs --database");
  }

  @Test
  void theUserAndPasswordComeFromTheEnvironmentOrThePasswordFile() throws IOException {
    Map<String, String> env =
        Map.of(
            SkiffServer.DATABASE_USER_VARIABLE,
            "skiff",
            SkiffServer.DATABASE_PASSWORD_VARIABLE,
            "test-password");
    try (Store store =
        SkiffServer.openStore(parse("--database", postgres.newDatabase()), dir, env)) {
      assertThat(store).isInstanceOf(PostgresStore.class);
      assertThat(store.tokens().apiToken()).hasSize(64);
    }
    Path file = dir.resolve("password");
    Files.writeString(file, "test-password\n");
    try (Store store =
        SkiffServer.openStore(
            parse(
                "--database", postgres.newDatabase(), "--database-password-file", file.toString()),
            dir,
            Map.of(SkiffServer.DATABASE_USER_VARIABLE, "skiff"))) {
      assertThat(store.tokens().apiToken()).hasSize(64);
    }
    assertThat(dir.resolve("skiff.db")).doesNotExist();
  }

  @Test
  void aDatabaseThatCannotBeReachedStopsTheStartNamingItsUrlAndTheCause() {
    String url = "jdbc:postgresql://127.0.0.1:1/skiff";
    assertThatThrownBy(() -> SkiffServer.openStore(parse("--database", url), dir, Map.of()))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageStartingWith("could not open the Skiff store in the database " + url + ": ")
        .hasMessageContaining("refused");
  }

  @Test
  void serversOnOneDatabaseAreReplicasThatShareItsToken() {
    Map<String, String> env =
        Map.of(
            SkiffServer.DATABASE_USER_VARIABLE,
            LocalPostgres.USER,
            SkiffServer.DATABASE_PASSWORD_VARIABLE,
            LocalPostgres.PASSWORD);
    String url = postgres.newDatabase();
    SkiffServer.Options options = parse("--database", url);
    try (Store first = SkiffServer.openStore(options, dir, env);
        Store second = SkiffServer.openStore(options, dir, env)) {
      assertThat(second.tokens().apiToken()).isEqualTo(first.tokens().apiToken()).hasSize(64);
      assertThat(first.leases()).isPresent();
    }
  }

  @Test
  void replicaOptionsNeedADatabaseAndAreChecked() {
    assertThatThrownBy(() -> parse("--replica-lease", "5s"))
        .hasMessageContaining("need --database");
    assertThatThrownBy(() -> parse("--database", "jdbc:postgresql://h/db", "--replica-lease", "1s"))
        .hasMessageContaining("--replica-lease 1000ms is outside 2s..5m");
    assertThatThrownBy(() -> parse("--database", "jdbc:postgresql://h/db", "--replica-id", "a b"))
        .hasMessageContaining("--replica-id 'a b' is not allowed");
    assertThatThrownBy(() -> parse("--database", "jdbc:postgresql://h/db", "--advertise", "h"))
        .hasMessageContaining("--advertise 'h' is not HOST:PORT");
    SkiffServer.Database d =
        parse(
                "--database",
                "jdbc:postgresql://h/db",
                "--replica-id",
                "r1",
                "--replica-lease",
                "4s",
                "--advertise",
                "10.0.0.5:7733")
            .database()
            .orElseThrow();
    assertThat(d.replicaId()).contains("r1");
    assertThat(d.lease()).isEqualTo(Duration.ofSeconds(4));
    assertThat(d.advertise()).contains("10.0.0.5:7733");
  }
}
