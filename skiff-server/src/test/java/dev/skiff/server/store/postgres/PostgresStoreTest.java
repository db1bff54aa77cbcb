package dev.skiff.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.server.store.StoreContract;
import dev.skiff.server.store.StoredApp;
import dev.skiff.server.store.StoredCall;
import dev.skiff.server.store.sqlite.SqliteStore;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the PostgreSQL store adds to the {@link PostgresStoreContractTest contract}: its schema's
 * versions, its credentials, what it says when the database cannot be had, and that an acknowledged
 * write is committed for every other connection to see.
 */
@ExtendWith(LocalPostgres.Extension.class)
class PostgresStoreTest {
  private static final Optional<String> USER = Optional.of(LocalPostgres.USER);
  private static final Optional<String> PASSWORD = Optional.of(LocalPostgres.PASSWORD);
  private static final Instant T0 = StoreContract.T0;

  private final LocalPostgres postgres;

  PostgresStoreTest(LocalPostgres postgres) {
    this.postgres = postgres;
  }

  private static StoredCall call(String id) {
    return StoreContract.call(id, T0);
  }

  private static int count(String url, String sql) throws SQLException {
    try (Connection c =
            DriverManager.getConnection(url, LocalPostgres.USER, LocalPostgres.PASSWORD);
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery(sql)) {
      r.next();
      return r.getInt(1);
    }
  }

  @Test
  void aNewDatabaseGetsTheCurrentSchemaVersionInStepWithSqlite() {
    try (PostgresStore store = PostgresStore.open(postgres.newDatabase(), USER, PASSWORD)) {
      assertThat(store.schemaVersion())
          .isEqualTo(PostgresStore.SCHEMA_VERSION)
          .isEqualTo(SqliteStore.SCHEMA_VERSION);
    }
  }

  @Test
  void whatIsStoredSurvivesReopeningAndASecondStoreOnTheSameDatabaseSeesIt() {
    String url = postgres.newDatabase();
    String token;
    try (PostgresStore store = PostgresStore.open(url, USER, PASSWORD)) {
      token = store.tokens().apiToken();
      store.calls().add(call("fc-1")).join();
      store.deployments().save(new StoredApp("hello", 1, T0, new byte[] {7})).join();
      try (PostgresStore other = PostgresStore.open(url, USER, PASSWORD)) {
        assertThat(other.tokens().apiToken()).isEqualTo(token);
        assertThat(other.calls().find("fc-1")).isPresent();
      }
    }
    try (PostgresStore store = PostgresStore.open(url, USER, PASSWORD)) {
      assertThat(store.tokens().apiToken()).isEqualTo(token);
      assertThat(store.deployments().all()).extracting(StoredApp::name).containsExactly("hello");
      assertThat(store.calls().unfinished()).extracting(StoredCall::id).containsExactly("fc-1");
    }
  }

  @Test
  void everyAcknowledgedConcurrentWriteIsCommittedForOtherConnections() throws SQLException {
    String url = postgres.newDatabase();
    try (PostgresStore store = PostgresStore.open(url, USER, PASSWORD)) {
      List<CompletableFuture<Void>> adds =
          IntStream.range(0, 500).mapToObj(i -> store.calls().add(call("fc-" + i))).toList();
      CompletableFuture.allOf(adds.toArray(CompletableFuture[]::new)).join();
      // Read on a connection of its own, outside the store's pool: only committed rows show.
      assertThat(count(url, "SELECT count(*) FROM calls")).isEqualTo(500);
    }
  }

  @Test
  void aDatabaseFromANewerSkiffIsRefusedAndLeftAsItIs() throws SQLException {
    String url = postgres.newDatabase();
    try (Connection c =
            DriverManager.getConnection(url, LocalPostgres.USER, LocalPostgres.PASSWORD);
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)");
      s.execute("INSERT INTO schema_version VALUES (99)");
    }
    assertThatThrownBy(() -> PostgresStore.open(url, USER, PASSWORD))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("could not open the Skiff store in the database " + url)
        .hasMessageContaining(
            "its schema version is 99, newer than this Skiff's " + PostgresStore.SCHEMA_VERSION);
    assertThat(count(url, "SELECT version FROM schema_version")).isEqualTo(99);
    assertThat(count(url, "SELECT count(*) FROM pg_tables WHERE tablename='calls'")).isZero();
  }

  @Test
  void aWrongPasswordFailsNamingTheUrlAndTheCause() {
    String url = postgres.newDatabase();
    assertThatThrownBy(() -> PostgresStore.open(url, USER, Optional.of("wrong")))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("could not open the Skiff store in the database " + url)
        .hasMessageContaining("password authentication failed")
        .hasMessageNotContaining("wrong");
  }

  @Test
  void aDatabaseThatCannotBeReachedFailsNamingTheUrlAndTheCause() {
    String url = "jdbc:postgresql://127.0.0.1:1/skiff?connectTimeout=2";
    assertThatThrownBy(() -> PostgresStore.open(url, USER, PASSWORD))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("could not open the Skiff store in the database " + url)
        .hasMessageContaining("refused");
  }

  @Test
  void aUrlWithAPasswordOrOfAnotherDatabaseIsRefused() {
    assertThatThrownBy(
            () -> PostgresStore.checkUrl("jdbc:postgresql://db:5432/skiff?user=a&Password=s3"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--database must not carry a password")
        .hasMessageContaining("SKIFF_DATABASE_PASSWORD")
        .hasMessageNotContaining("s3");
    assertThatThrownBy(() -> PostgresStore.checkUrl("jdbc:mysql://db/skiff"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not a PostgreSQL JDBC URL");
    assertThat(PostgresStore.checkUrl("jdbc:postgresql://db:5432/skiff?user=a"))
        .isEqualTo("jdbc:postgresql://db:5432/skiff?user=a");
  }
}
