package dev.skiff.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.skiff.server.store.jdbc.GroupCommitWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link GroupCommitWriter} on a pool of a real PostgreSQL server, as the PostgreSQL store runs it:
 * queued writes share one commit, a failing write (which aborts a PostgreSQL transaction until
 * rolled back to its savepoint) fails alone, and a connection the server ends is replaced.
 */
@ExtendWith(LocalPostgres.Extension.class)
class PooledGroupCommitTest {
  private final LocalPostgres postgres;
  private final AtomicInteger commits = new AtomicInteger();
  private HikariDataSource pool;
  private GroupCommitWriter writer;

  PooledGroupCommitTest(LocalPostgres postgres) {
    this.postgres = postgres;
  }

  @BeforeEach
  void open() throws SQLException {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(postgres.newDatabase());
    config.setUsername(LocalPostgres.USER);
    config.setPassword(LocalPostgres.PASSWORD);
    config.setAutoCommit(false);
    config.setMaximumPoolSize(4);
    pool = new HikariDataSource(config);
    try (Connection c = pool.getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");
      c.commit();
    }
    writer = new GroupCommitWriter(countingCommits(pool), "test store");
  }

  @AfterEach
  void close() {
    writer.close();
    pool.close();
  }

  /** {@code pool}, whose connections count their commits in {@link #commits}. */
  private DataSource countingCommits(DataSource pool) {
    return (DataSource)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {DataSource.class},
            (proxy, method, args) -> {
              Object result = invoke(method, pool, args);
              if (!method.getName().equals("getConnection")) {
                return result;
              }
              Connection c = (Connection) result;
              return Proxy.newProxyInstance(
                  getClass().getClassLoader(),
                  new Class<?>[] {Connection.class},
                  (p, m, a) -> {
                    if (m.getName().equals("commit")) {
                      commits.incrementAndGet();
                    }
                    return invoke(m, c, a);
                  });
            });
  }

  private static Object invoke(Method method, Object target, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static GroupCommitWriter.Write insert(int id) {
    return c -> {
      try (PreparedStatement p = c.prepareStatement("INSERT INTO t (id) VALUES (?)")) {
        p.setInt(1, id);
        p.executeUpdate();
      }
    };
  }

  private int rows() {
    return writer.use(
        "count",
        c -> {
          try (Statement s = c.createStatement();
              ResultSet r = s.executeQuery("SELECT count(*) FROM t")) {
            r.next();
            return r.getInt(1);
          }
        });
  }

  @Test
  void writesQueuedTogetherShareOneCommitAndADuplicateFailsAlone() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<Void> blocker =
        writer.write(
            c -> {
              started.countDown();
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    // The writer is inside its first batch: everything queued now goes into the next one.
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      writes.add(writer.write(insert(i)));
    }
    CompletableFuture<Void> duplicate = writer.write(insert(7));
    release.countDown();

    blocker.get(10, TimeUnit.SECONDS);
    CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(duplicate::isDone);
    assertThat(duplicate).isCompletedExceptionally();
    assertThat(rows()).isEqualTo(1000);
    assertThat(commits.get()).isEqualTo(2); // the blocker's batch, then the 1,001 writes'
  }

  @Test
  void aConnectionTheServerEndsIsReplacedAndNoAcknowledgedWriteIsLost() throws Exception {
    writer.write(insert(0)).get(10, TimeUnit.SECONDS);
    String database = pool.getJdbcUrl().substring(pool.getJdbcUrl().lastIndexOf('/') + 1);
    try (Connection admin =
            DriverManager.getConnection(
                postgres.adminUrl(), LocalPostgres.USER, LocalPostgres.PASSWORD);
        PreparedStatement p =
            admin.prepareStatement(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname=?")) {
      p.setString(1, database);
      try (ResultSet r = p.executeQuery()) {
        r.next();
        assertThat(r.getInt(1)).isPositive();
      }
    }
    List<Integer> acknowledged = new ArrayList<>(List.of(0));
    AtomicInteger next = new AtomicInteger(1);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              int id = next.getAndIncrement();
              try {
                writer.write(insert(id)).get(10, TimeUnit.SECONDS);
                acknowledged.add(id);
                return true;
              } catch (ExecutionException e) {
                return false; // failed on a dead connection: not acknowledged, not counted
              }
            });
    assertThat(rows()).isEqualTo(acknowledged.size());
  }
}
