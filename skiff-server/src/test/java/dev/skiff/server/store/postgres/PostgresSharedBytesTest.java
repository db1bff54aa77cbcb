package dev.skiff.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.server.store.SharedBytes;
import dev.skiff.server.store.SharedBytes.Kind;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The contract of {@link SharedBytes} on PostgreSQL, seen through two stores on one database. */
@ExtendWith(LocalPostgres.Extension.class)
class PostgresSharedBytesTest {
  private static final int CHUNK = PostgresSharedBytes.CHUNK;

  private final String url;
  private final PostgresStore one;
  private final PostgresStore two;

  PostgresSharedBytesTest(LocalPostgres postgres) {
    url = postgres.newDatabase();
    one = open(url);
    two = open(url);
  }

  private static PostgresStore open(String url) {
    return PostgresStore.open(
        url, Optional.of(LocalPostgres.USER), Optional.of(LocalPostgres.PASSWORD));
  }

  @AfterEach
  void close() {
    one.close();
    two.close();
  }

  private static byte[] bytes(int size) {
    byte[] b = new byte[size];
    new Random(size).nextBytes(b);
    return b;
  }

  private static byte[] read(SharedBytes shared, Kind kind, String key) throws IOException {
    try (InputStream in = shared.open(kind, key).orElseThrow()) {
      return in.readAllBytes();
    }
  }

  private int chunks(String key) throws SQLException {
    try (Connection c =
            DriverManager.getConnection(url, LocalPostgres.USER, LocalPostgres.PASSWORD);
        Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery("SELECT count(*) FROM shared_chunks WHERE key = '" + key + "'")) {
      r.next();
      return r.getInt(1);
    }
  }

  @Test
  void whatOneStorePutsTheOtherReadsInChunksAndNoLongerAfterADelete() throws Exception {
    byte[] large = bytes(5 * CHUNK + 123);
    assertThat(one.sharedBytes().shared()).isTrue();
    assertThat(one.sharedBytes().put(Kind.JAR, "big", new ByteArrayInputStream(large)))
        .isEqualTo(large.length);
    one.sharedBytes().put(Kind.BLOB, "empty", new ByteArrayInputStream(new byte[0]));

    assertThat(chunks("big")).isEqualTo(6);
    assertThat(read(two.sharedBytes(), Kind.JAR, "big")).isEqualTo(large);
    assertThat(read(two.sharedBytes(), Kind.BLOB, "empty")).isEmpty();
    try (InputStream in = two.sharedBytes().open(Kind.JAR, "big").orElseThrow()) {
      // A read hands out at most what one chunk holds: the object is never whole in memory.
      assertThat(in.read(new byte[3 * CHUNK])).isEqualTo(CHUNK);
    }
    assertThat(two.sharedBytes().existing(Kind.JAR, List.of("big", "empty", "other")))
        .containsExactly("big");
    assertThat(two.sharedBytes().open(Kind.BLOB, "big")).isEmpty(); // the kind is in the name

    assertThat(two.sharedBytes().delete(Kind.JAR, "big")).isTrue();
    assertThat(two.sharedBytes().delete(Kind.JAR, "big")).isFalse();
    assertThat(one.sharedBytes().open(Kind.JAR, "big")).isEmpty();
    assertThat(chunks("big")).isZero();
  }

  @Test
  void anObjectIsInvisibleUntilItsPutReturns() throws Exception {
    CountDownLatch halfway = new CountDownLatch(1);
    CountDownLatch resume = new CountDownLatch(1);
    byte[] content = bytes(2 * CHUNK + 10);
    InputStream slow =
        new InputStream() {
          private final InputStream in = new ByteArrayInputStream(content);
          private int sent;

          @Override
          public int read() {
            throw new UnsupportedOperationException();
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            if (sent == CHUNK + 1 && halfway.getCount() > 0) {
              // The first chunk is in the database, uncommitted, and the second begun.
              halfway.countDown();
              try {
                resume.await();
              } catch (InterruptedException e) {
                throw new IOException(e);
              }
            }
            int allowed = sent < CHUNK + 1 ? CHUNK + 1 - sent : len;
            int n = in.read(b, off, Math.min(len, allowed));
            sent += Math.max(n, 0);
            return n;
          }
        };
    CompletableFuture<Long> put =
        CompletableFuture.supplyAsync(() -> one.sharedBytes().put(Kind.JAR, "slow", slow));
    halfway.await();
    assertThat(two.sharedBytes().open(Kind.JAR, "slow")).isEmpty();
    assertThat(two.sharedBytes().existing(Kind.JAR, List.of("slow"))).isEmpty();
    assertThat(chunks("slow")).isZero();
    resume.countDown();
    assertThat(put.join()).isEqualTo(content.length);
    assertThat(read(two.sharedBytes(), Kind.JAR, "slow")).isEqualTo(content);
  }

  @Test
  void aFailedPutLeavesWhatWasThereAndNothingOfItself() throws Exception {
    one.sharedBytes().put(Kind.BLOB, "b", new ByteArrayInputStream(bytes(10)));
    AtomicBoolean failed = new AtomicBoolean();
    InputStream broken =
        new InputStream() {
          private long sent;

          @Override
          public int read() {
            throw new UnsupportedOperationException();
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            if (sent > CHUNK) { // after the first chunk went to the database
              failed.set(true);
              throw new IOException("the upload broke off");
            }
            Arrays.fill(b, off, off + len, (byte) 1);
            sent += len;
            return len;
          }
        };
    assertThatThrownBy(() -> one.sharedBytes().put(Kind.BLOB, "b", broken))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("blob b")
        .hasMessageContaining("the upload broke off");
    assertThat(failed).isTrue();
    assertThat(read(two.sharedBytes(), Kind.BLOB, "b")).isEqualTo(bytes(10));
    assertThat(chunks("b")).isEqualTo(1);
  }

  @Test
  void aReadFailsRatherThanMixWhenItsObjectIsDeletedPartWay() throws Exception {
    one.sharedBytes().put(Kind.IMAGE, "im", new ByteArrayInputStream(bytes(3 * CHUNK)));
    try (InputStream in = two.sharedBytes().open(Kind.IMAGE, "im").orElseThrow()) {
      assertThat(in.readNBytes(CHUNK)).hasSize(CHUNK);
      one.sharedBytes().delete(Kind.IMAGE, "im");
      assertThatThrownBy(in::readAllBytes)
          .isInstanceOf(IOException.class)
          .hasMessageContaining("changed while it was read");
    }
    assertThat(two.sharedBytes().open(Kind.IMAGE, "im")).isEmpty();
  }
}
