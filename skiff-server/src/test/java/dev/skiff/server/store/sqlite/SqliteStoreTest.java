package dev.skiff.server.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.skiff.server.store.StoredApp;
import dev.skiff.server.store.StoredCall;
import dev.skiff.server.store.StoredRun;
import dev.skiff.server.store.StoredWebToken;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the SQLite store adds to the {@link SqliteStoreContractTest contract}: its schema's
 * versions, and that what it keeps survives closing and reopening the file.
 */
class SqliteStoreTest {
  @TempDir Path dir;

  private static StoredCall call(String id, Instant at) {
    return new StoredCall(
        id,
        "app",
        true,
        "f",
        ByteString.copyFrom(new byte[] {1}),
        ByteString.copyFrom(new byte[] {2, 3}),
        at,
        Optional.empty(),
        Optional.empty());
  }

  @Test
  void aNewStoreHasTheCurrentSchemaVersion() {
    try (SqliteStore store = SqliteStore.open(dir.resolve("skiff.db"))) {
      assertThat(store.schemaVersion()).isEqualTo(SqliteStore.SCHEMA_VERSION).isEqualTo(4);
    }
  }

  @Test
  void aStoreFromBeforeVersionsIsUpgradedAndKeepsItsData() throws SQLException {
    Path file = dir.resolve("skiff.db");
    // The schema as it was before versions were kept: no user_version, no web_tokens table.
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
      s.execute(
          "CREATE TABLE apps (name TEXT PRIMARY KEY, version INTEGER NOT NULL,"
              + " deployed_at INTEGER NOT NULL, definition BLOB NOT NULL)");
      s.execute(
          "CREATE TABLE calls (id TEXT PRIMARY KEY, app_name TEXT NOT NULL,"
              + " deployed INTEGER NOT NULL, function TEXT NOT NULL, definition BLOB NOT NULL,"
              + " args BLOB NOT NULL, created_at INTEGER NOT NULL, finished_at INTEGER,"
              + " result BLOB)");
      s.execute(
          "CREATE TABLE runs (id TEXT PRIMARY KEY, app_name TEXT NOT NULL,"
              + " function TEXT NOT NULL, scheduled_at INTEGER NOT NULL,"
              + " started_at INTEGER NOT NULL, finished_at INTEGER, result BLOB)");
      s.execute(
          "CREATE TABLE logs (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
              + " app_name TEXT NOT NULL, container_id TEXT NOT NULL, line BLOB NOT NULL)");
      s.execute("INSERT INTO meta (key, value) VALUES ('token', 'kept-token')");
    }
    try (SqliteStore store = SqliteStore.open(file)) {
      assertThat(store.schemaVersion()).isEqualTo(SqliteStore.SCHEMA_VERSION);
      assertThat(store.tokens().apiToken()).isEqualTo("kept-token");
      assertThat(store.tokens().webTokens()).isEmpty(); // the table the upgrade added
    }
  }

  @Test
  void aStoreFromANewerSkiffIsRefusedAndLeftAsItIs() throws SQLException {
    Path file = dir.resolve("skiff.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement()) {
      s.execute("PRAGMA user_version = 99");
    }
    assertThatThrownBy(() -> SqliteStore.open(file))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("could not open the Skiff store " + file)
        .hasMessageContaining(
            "its schema version is 99, newer than this Skiff's " + SqliteStore.SCHEMA_VERSION);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("PRAGMA user_version")) {
      assertThat(r.getInt(1)).isEqualTo(99);
    }
  }

  @Test
  void logLinesArePrunedToTheNewestAndSurviveReopening() {
    try (SqliteStore store = SqliteStore.open(dir.resolve("skiff.db"))) {
      for (int i = 0; i < 15; i++) {
        store.logs().append("hello", i < 5 ? "c-old" : "c-new", bytes("line " + i));
      }
      store.logs().append("other", "c-other", bytes("other line"));
      store.logs().prune("hello", 10); // not waited for: closing commits what is queued
    }
    try (SqliteStore store = SqliteStore.open(dir.resolve("skiff.db"))) {
      List<String> kept =
          store.logs().newest("hello", 100).stream().map(SqliteStoreTest::text).toList();
      assertThat(kept).hasSize(10).startsWith("line 5").endsWith("line 14");
      assertThat(store.logs().newest("hello", 3).stream().map(SqliteStoreTest::text))
          .containsExactly("line 12", "line 13", "line 14");
      assertThat(store.logs().newest("other", 100)).hasSize(1);
      assertThat(store.logs().appOfContainer("c-new")).contains("hello");
      assertThat(store.logs().appOfContainer("c-old")).isEmpty(); // pruned with its lines
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void concurrentCallsAreAllStoredAndSurviveReopening() {
    Instant now = Instant.parse("2030-01-01T00:00:00Z");
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    String token;
    try (SqliteStore store = SqliteStore.open(dir.resolve("skiff.db"))) {
      token = store.tokens().apiToken();
      for (int i = 0; i < 1000; i++) {
        writes.add(store.calls().add(call("fc-" + i, now)));
      }
      CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).join();
    }
    try (SqliteStore store = SqliteStore.open(dir.resolve("skiff.db"))) {
      assertThat(store.tokens().apiToken()).isEqualTo(token);
      assertThat(store.calls().unfinished()).hasSize(1000);
      assertThat(store.calls().find("fc-7").orElseThrow().args().toByteArray())
          .containsExactly(2, 3);
    }
  }

  @Test
  void deploymentsRunsAndWebTokensSurviveReopening() {
    Instant now = Instant.parse("2030-01-01T00:00:00Z");
    try (SqliteStore store = SqliteStore.open(dir.resolve("skiff.db"))) {
      store.deployments().save(new StoredApp("web", 3, now, bytes("request"))).join();
      store.tokens().addWebToken(new StoredWebToken("wk-a", "ci", now, bytes("digest"))).join();
      store
          .runs()
          .add(new StoredRun("r-1", "web", "tick", now, now, Optional.empty(), Optional.empty()));
      store.runs().finish("r-1", now.plusSeconds(1), bytes("result")); // committed by close
    }
    try (SqliteStore store = SqliteStore.open(dir.resolve("skiff.db"))) {
      assertThat(store.deployments().all()).extracting(StoredApp::version).containsExactly(3L);
      assertThat(store.tokens().webTokens()).extracting(StoredWebToken::name).containsExactly("ci");
      assertThat(store.runs().latest("web", 10))
          .singleElement()
          .satisfies(r -> assertThat(r.finishedAt()).contains(now.plusSeconds(1)));
    }
  }

  @Test
  void aWriteAfterClosingFailsSayingTheStoreIsClosed() {
    SqliteStore store = SqliteStore.open(dir.resolve("skiff.db"));
    store.close();

    assertThat(store.calls().add(call("fc-late", Instant.parse("2030-01-01T00:00:00Z"))))
        .failsWithin(Duration.ofSeconds(10))
        .withThrowableOfType(ExecutionException.class)
        .withMessageContaining("the store is closed");
  }
}
