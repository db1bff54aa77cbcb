package dev.skiff.server.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writer answers every write, whatever fails: a database that is full (SQLite's own {@code
 * SQLITE_FULL}, from a page limit that stands in for a full disk) and that rolls the whole
 * transaction back under the writer, a write that throws, and a writer that recovers once there is
 * room again.
 */
class GroupCommitWriterTest {
  private static final Duration ANSWERED = Duration.ofSeconds(10);

  @TempDir Path dir;
  private Connection connection;
  private GroupCommitWriter writer;

  @BeforeEach
  void open() throws SQLException {
    connection = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("test.db"));
    try (Statement s = connection.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB)");
    }
    connection.setAutoCommit(false);
    writer = new GroupCommitWriter(connection, "test store");
  }

  @AfterEach
  void close() {
    writer.close();
  }

  private static GroupCommitWriter.Write insert(int id, int bytes) {
    return c -> {
      try (PreparedStatement p = c.prepareStatement("INSERT INTO t (id, data) VALUES (?, ?)")) {
        p.setInt(1, id);
        p.setBytes(2, new byte[bytes]);
        p.executeUpdate();
      }
    };
  }

  private void limitPages(long pages) {
    writer.use(
        "limit the pages",
        c -> {
          try (Statement s = c.createStatement()) {
            s.execute("PRAGMA max_page_count = " + pages);
          }
          return null;
        });
  }

  private int rows() {
    return writer.use(
        "count",
        c -> {
          try (Statement s = c.createStatement();
              var r = s.executeQuery("SELECT count(*) FROM t")) {
            r.next();
            return r.getInt(1);
          }
        });
  }

  @Test
  void aFullDatabaseAnswersEveryWriteOfTheBatchAndTheWriterRecoversWhenThereIsRoom()
      throws Exception {
    writer.write(insert(0, 10)).get(10, TimeUnit.SECONDS);
    limitPages(40);

    List<CompletableFuture<Void>> writes = new ArrayList<>();
    for (int i = 1; i <= 200; i++) {
      writes.add(writer.write(insert(i, 8 * 1024)));
    }

    await().atMost(ANSWERED).until(() -> writes.stream().allMatch(CompletableFuture::isDone));
    assertThat(writes).anyMatch(CompletableFuture::isCompletedExceptionally);
    long succeeded = writes.stream().filter(f -> !f.isCompletedExceptionally()).count();
    // What was acknowledged is there; what failed is not half-applied.
    assertThat(rows()).isEqualTo(1 + succeeded);

    limitPages(1_000_000);
    writer.write(insert(1_000, 8 * 1024)).get(10, TimeUnit.SECONDS);
    assertThat(rows()).isEqualTo(2 + succeeded);
  }

  @Test
  void aWriteThatThrowsFailsAloneAndTheWriterGoesOn() throws Exception {
    CompletableFuture<Void> bad =
        writer.write(
            c -> {
              throw new IllegalStateException("a bug in one write");
            });
    CompletableFuture<Void> good = writer.write(insert(1, 10));

    await().atMost(ANSWERED).until(() -> bad.isDone() && good.isDone());
    assertThat(bad).isCompletedExceptionally();
    good.get(1, TimeUnit.SECONDS);
    writer.write(insert(2, 10)).get(10, TimeUnit.SECONDS);
    assertThat(rows()).isEqualTo(2);
  }

  @Test
  void backgroundWritesAreBoundedAndGoBehindEveryDurableWrite() throws Exception {
    CountDownLatch blocked = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<String> applied = Collections.synchronizedList(new ArrayList<>());
    // The writer holds the first background write until released; more queue up behind it.
    CompletableFuture<Boolean> first =
        writer.writeInBackground(
            c -> {
              blocked.countDown();
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    assertThat(blocked.await(10, TimeUnit.SECONDS)).isTrue();
    List<CompletableFuture<Boolean>> queued = new ArrayList<>();
    for (int i = 0; i < GroupCommitWriter.MAX_BACKGROUND_QUEUED; i++) {
      int n = i;
      queued.add(writer.writeInBackground(c -> applied.add("background " + n)));
    }
    CompletableFuture<Boolean> refused = writer.writeInBackground(c -> applied.add("refused"));
    assertThat(refused).isCompletedWithValue(false);
    CompletableFuture<Void> durable = writer.write(c -> applied.add("durable"));

    release.countDown();
    durable.get(10, TimeUnit.SECONDS);
    assertThat(first.get(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture.allOf(queued.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
    assertThat(queued).allSatisfy(f -> assertThat(f).isCompletedWithValue(true));
    assertThat(applied)
        .hasSize(GroupCommitWriter.MAX_BACKGROUND_QUEUED + 1)
        .doesNotContain("refused");
    // The durable write waited for the batch that was being written, then went ahead of the rest.
    assertThat(applied.indexOf("durable")).isZero();
  }
}
