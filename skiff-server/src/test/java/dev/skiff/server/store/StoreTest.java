package dev.skiff.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store on a real SQLite file. */
class StoreTest {
  @TempDir Path dir;

  private static StoredCall call(String id, Instant at) {
    return new StoredCall(
        id,
        "app",
        true,
        "f",
        new byte[] {1},
        new byte[] {2, 3},
        at,
        Optional.empty(),
        Optional.empty());
  }

  @Test
  void aNewStoreHasTheCurrentSchemaVersion() {
    try (Store store = Store.open(dir.resolve("skiff.db"))) {
      assertThat(store.schemaVersion()).isEqualTo(Store.SCHEMA_VERSION).isEqualTo(2);
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
    try (Store store = Store.open(file)) {
      assertThat(store.schemaVersion()).isEqualTo(Store.SCHEMA_VERSION);
      assertThat(store.token()).isEqualTo("kept-token");
      assertThat(store.webTokens()).isEmpty(); // the table the upgrade added
    }
  }

  @Test
  void aStoreFromANewerSkiffIsRefusedAndLeftAsItIs() throws SQLException {
    Path file = dir.resolve("skiff.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement()) {
      s.execute("PRAGMA user_version = 99");
    }
    assertThatThrownBy(() -> Store.open(file))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("could not open the Skiff store " + file)
        .hasMessageContaining(
            "its schema version is 99, newer than this Skiff's " + Store.SCHEMA_VERSION);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("PRAGMA user_version")) {
      assertThat(r.getInt(1)).isEqualTo(99);
    }
  }

  @Test
  void logLinesArePrunedToTheNewestAndSurviveReopening() {
    try (Store store = Store.open(dir.resolve("skiff.db"))) {
      for (int i = 0; i < 15; i++) {
        store.addLogLine("hello", i < 5 ? "c-old" : "c-new", bytes("line " + i));
      }
      store.addLogLine("other", "c-other", bytes("other line"));
      store.pruneLogs("hello", 10);
    }
    try (Store store = Store.open(dir.resolve("skiff.db"))) {
      List<String> kept = store.logLines("hello", 100).stream().map(StoreTest::text).toList();
      assertThat(kept).hasSize(10).startsWith("line 5").endsWith("line 14");
      assertThat(store.logLines("hello", 3).stream().map(StoreTest::text))
          .containsExactly("line 12", "line 13", "line 14");
      assertThat(store.logLines("other", 100)).hasSize(1);
      assertThat(store.logAppOfContainer("c-new")).contains("hello");
      assertThat(store.logAppOfContainer("c-old")).isEmpty(); // pruned with its lines
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
    try (Store store = Store.open(dir.resolve("skiff.db"))) {
      token = store.token();
      for (int i = 0; i < 1000; i++) {
        writes.add(store.addCall(call("fc-" + i, now)));
      }
      CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).join();
    }
    try (Store store = Store.open(dir.resolve("skiff.db"))) {
      assertThat(store.token()).isEqualTo(token);
      assertThat(store.unfinishedCalls()).hasSize(1000);
      assertThat(store.call("fc-7").orElseThrow().args()).containsExactly(2, 3);
    }
  }

  @Test
  void theFirstResultOfACallWinsAndExpiredResultsAreSwept() {
    Instant now = Instant.parse("2030-01-01T00:00:00Z");
    try (Store store = Store.open(dir.resolve("skiff.db"))) {
      store.addCall(call("fc-a", now)).join();
      store.addCall(call("fc-b", now)).join();
      store.finishCall("fc-a", new byte[] {9}, now.plusSeconds(1)).join();
      store.finishCall("fc-a", new byte[] {8}, now.plusSeconds(2)).join();

      assertThat(store.call("fc-a").orElseThrow().result())
          .hasValueSatisfying(r -> assertThat(r).containsExactly(9));
      assertThat(store.unfinishedCalls()).extracting(StoredCall::id).containsExactly("fc-b");

      assertThat(store.sweep(now.plusSeconds(10))).isEqualTo(1);
      assertThat(store.call("fc-a")).isEmpty();
      assertThat(store.call("fc-b")).isPresent(); // unfinished calls are never swept
    }
  }

  @Test
  void aDuplicateCallIdFailsOnlyItsOwnWrite() throws Exception {
    Instant now = Instant.parse("2030-01-01T00:00:00Z");
    try (Store store = Store.open(dir.resolve("skiff.db"))) {
      store.addCall(call("fc-x", now)).join();
      CompletableFuture<Void> dup = store.addCall(call("fc-x", now));
      CompletableFuture<Void> other = store.addCall(call("fc-y", now));
      other.join();
      assertThat(dup).isCompletedExceptionally();
      assertThat(store.call("fc-y")).isPresent();
    }
    assertThat(Files.exists(dir.resolve("skiff.db"))).isTrue();
  }
}
