package dev.skiff.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.skiff.server.store.LeaseStore;
import dev.skiff.server.store.StoredApp;
import dev.skiff.server.store.StoredCall;
import dev.skiff.server.store.StoredRun;
import dev.skiff.server.store.jdbc.Fence;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two replicas' stores on one real PostgreSQL database: the leases of apps, and the fence that
 * refuses every write a replica makes for an app whose lease another replica took, even a write
 * that would change nothing.
 */
@ExtendWith(LocalPostgres.Extension.class)
class PostgresFencingTest {
  private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");

  private final LocalPostgres postgres;
  private PostgresStore a;
  private PostgresStore b;
  private final Map<String, Long> heldByA = new ConcurrentHashMap<>();
  private final Map<String, Long> heldByB = new ConcurrentHashMap<>();

  PostgresFencingTest(LocalPostgres postgres) {
    this.postgres = postgres;
  }

  @BeforeEach
  void open() {
    String url = postgres.newDatabase();
    a =
        PostgresStore.open(
            url, Optional.of(LocalPostgres.USER), Optional.of(LocalPostgres.PASSWORD));
    b =
        PostgresStore.open(
            url, Optional.of(LocalPostgres.USER), Optional.of(LocalPostgres.PASSWORD));
    a.leases().orElseThrow().fenceWritesBy(app -> held(heldByA, app));
    b.leases().orElseThrow().fenceWritesBy(app -> held(heldByB, app));
  }

  @AfterEach
  void close() {
    a.close();
    b.close();
  }

  private static OptionalLong held(Map<String, Long> held, String app) {
    Long e = held.get(app);
    return e == null ? OptionalLong.empty() : OptionalLong.of(e);
  }

  @Test
  void aReplicaThatLostItsLeaseCannotWriteForTheApp() throws Exception {
    LeaseStore leases = a.leases().orElseThrow();
    long first = leases.claim("shop", "a", Duration.ofMillis(500), "deployed").orElseThrow();
    heldByA.put("shop", first);
    a.deployments().save(new StoredApp("shop", 1, T0, new byte[] {1})).join();
    a.calls().add(call("fc-1", true)).join();
    a.calls().add(call("fc-eph", false)).join();
    a.runs().add(run("r-1")).join();
    a.deployments().saveAutoscaler("shop", 1, "buy", new byte[] {1}).join();
    // While a holds it, b can neither take it nor write for it.
    assertThat(leases.claim("shop", "b", Duration.ofSeconds(5), "try")).isEmpty();
    assertThat(b.calls().finish("fc-1", new byte[] {9}, T0)).failsWithin(10, TimeUnit.SECONDS);

    // a stops renewing (paused): once its lease lapsed, b takes the app with a newer epoch.
    long second =
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () -> b.leases().orElseThrow().claim("shop", "b", Duration.ofSeconds(30), "lapsed"),
                OptionalLong::isPresent)
            .getAsLong();
    heldByB.put("shop", second);
    assertThat(second).isGreaterThan(first);
    assertThat(leases.renew("a", Set.of(first), Duration.ofSeconds(5))).isEmpty();

    // a wakes up with its writes under the old epoch: every one is refused, and changes nothing.
    assertFenced(a.calls().finish("fc-1", new byte[] {7}, T0.plusSeconds(1)));
    assertFenced(a.calls().add(call("fc-2", true)));
    assertFenced(a.runs().add(run("r-2")));
    assertFenced(a.runs().finish("r-1", T0.plusSeconds(2), new byte[] {7}));
    assertFenced(a.deployments().save(new StoredApp("shop", 2, T0, new byte[] {2})));
    assertFenced(a.deployments().delete("shop"));
    assertFenced(a.deployments().saveAutoscaler("shop", 1, "buy", new byte[] {2}));
    assertThat(a.deployments().autoscalers("shop", 1).get("buy")).containsExactly(1);
    assertThat(a.calls().find("fc-1").orElseThrow().result()).isEmpty();
    assertThat(a.calls().find("fc-2")).isEmpty();
    assertThat(a.runs().latest("shop", 10)).extracting(StoredRun::id).containsExactly("r-1");
    assertThat(a.deployments().all()).extracting(StoredApp::version).containsExactly(1L);

    // The new owner writes; a's refusal holds even once the result is there.
    b.calls().finish("fc-1", new byte[] {8}, T0.plusSeconds(3)).join();
    assertThat(b.calls().find("fc-1").orElseThrow().result())
        .hasValueSatisfying(r -> assertThat(r).containsExactly(8));
    assertFenced(a.calls().finish("fc-1", new byte[] {7}, T0.plusSeconds(4)));
    b.runs().add(run("r-3")).join();
    // An ephemeral app's call is not fenced: no other replica ever takes it over.
    a.calls().finish("fc-eph", new byte[] {5}, T0.plusSeconds(5)).join();
  }

  @Test
  void aReplicaPausedInsideAFencedWriteLosesItsLockAndTheAppIsTakenOver() throws Exception {
    LeaseStore leases = a.leases().orElseThrow();
    leases.claim("shop", "a", Duration.ofMillis(500), "deployed").orElseThrow();
    // Replica a stops (SIGSTOP, a cut network) inside a fenced write: it holds the share lock
    // on the app's lease row, and its connection stays open.
    try (Connection paused = a.connection();
        PreparedStatement lock =
            paused.prepareStatement("SELECT epoch FROM app_owners WHERE app=? FOR SHARE")) {
      lock.setString(1, "shop");
      lock.executeQuery().close();

      // Once a's lease lapsed, b takes the app: PostgreSQL ended a's transaction after it sat
      // idle, and with it the lock (before, b's claim waited for the lock forever).
      long taken =
          await()
              .atMost(Duration.ofSeconds(20))
              .until(
                  () ->
                      b.leases().orElseThrow().claim("shop", "b", Duration.ofSeconds(30), "lapsed"),
                  OptionalLong::isPresent)
              .getAsLong();
      assertThat(taken).isPositive();
      // a's write, when a wakes, cannot commit: its session is gone.
      assertThatThrownBy(paused::commit).isInstanceOf(SQLException.class);
    }
  }

  private static void assertFenced(CompletableFuture<Void> write) {
    assertThatThrownBy(write::join).hasRootCauseInstanceOf(Fence.FencedException.class);
  }

  private static StoredCall call(String id, boolean deployed) {
    return new StoredCall(
        id,
        "shop",
        deployed,
        "buy",
        ByteString.copyFromUtf8("def"),
        ByteString.copyFromUtf8("args"),
        T0,
        Optional.empty(),
        Optional.empty());
  }

  private static StoredRun run(String id) {
    return new StoredRun(id, "shop", "tick", T0, T0, Optional.empty(), Optional.empty());
  }
}
