package dev.skiff.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link Store} promises, run against each implementation by a subclass that says how to
 * open an empty one. Every write is waited for before it is read back: a store promises to show a
 * write once its future has completed, not before.
 */
public abstract class StoreContract {
  /** A moment with whole milliseconds, which every store keeps exactly. */
  public static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

  private Store store;

  /** An empty store, closed after each test. */
  protected abstract Store open();

  /** Whether the store commits its writes (a database), and so can tell how long each took. */
  protected boolean commits() {
    return true;
  }

  @BeforeEach
  void openStore() {
    store = open();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  /** An unfinished call of app {@code app}, function {@code f}, created at {@code at}. */
  public static StoredCall call(String id, Instant at) {
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

  private static StoredRun run(String id, String app, String function, Instant tick, Instant at) {
    return new StoredRun(id, app, function, tick, at, Optional.empty(), Optional.empty());
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  // ------------------------------------------------------------------------------ health

  @Test
  void anOpenStoreAnswersItsTrivialQueryAndTellsHowLongEachCommitTook() {
    store.check();
    List<Long> commits = new CopyOnWriteArrayList<>();
    store.observeCommits(commits::add);
    store.calls().add(call("fc-timed", T0)).join();
    if (commits()) {
      assertThat(commits).isNotEmpty().allMatch(nanos -> nanos > 0);
    } else {
      assertThat(commits).isEmpty();
    }
  }

  // ------------------------------------------------------------------------------ calls

  @Test
  void anAddedCallIsFoundWithEveryField() {
    store
        .calls()
        .add(
            new StoredCall(
                "fc-1",
                "hello",
                false,
                "greet",
                ByteString.copyFrom(bytes("def")),
                ByteString.copyFrom(bytes("args")),
                T0,
                Optional.empty(),
                Optional.empty()))
        .join();

    StoredCall found = store.calls().find("fc-1").orElseThrow();
    assertThat(found.id()).isEqualTo("fc-1");
    assertThat(found.appName()).isEqualTo("hello");
    assertThat(found.deployed()).isFalse();
    assertThat(found.function()).isEqualTo("greet");
    assertThat(found.definition().toStringUtf8()).isEqualTo("def");
    assertThat(found.args().toStringUtf8()).isEqualTo("args");
    assertThat(found.createdAt()).isEqualTo(T0);
    assertThat(found.result()).isEmpty();
    assertThat(found.finishedAt()).isEmpty();
    assertThat(store.calls().find("fc-2")).isEmpty();
  }

  @Test
  void aDuplicateCallIdFailsOnlyItsOwnWriteAndKeepsTheFirstCall() {
    store.calls().add(call("fc-x", T0)).join();
    CompletableFuture<Void> dup = store.calls().add(call("fc-x", T0.plusSeconds(5)));
    CompletableFuture<Void> other = store.calls().add(call("fc-y", T0));
    other.join();

    assertThat(dup).isCompletedExceptionally();
    assertThat(store.calls().find("fc-x").orElseThrow().createdAt()).isEqualTo(T0);
    assertThat(store.calls().find("fc-y")).isPresent();
  }

  @Test
  void theFirstResultOfACallWinsAndItsArgumentsAreForgotten() {
    store.calls().add(call("fc-a", T0)).join();
    store.calls().finish("fc-a", new byte[] {9}, T0.plusSeconds(1)).join();
    store.calls().finish("fc-a", new byte[] {8}, T0.plusSeconds(2)).join();

    StoredCall a = store.calls().find("fc-a").orElseThrow();
    assertThat(a.result()).hasValueSatisfying(r -> assertThat(r).containsExactly(9));
    assertThat(a.finishedAt()).contains(T0.plusSeconds(1));
    assertThat(a.args().isEmpty()).isTrue();
    assertThat(a.definition().toByteArray()).containsExactly(1); // still decodes the result
  }

  @Test
  void aResultForAnUnknownCallIsIgnored() {
    store.calls().finish("fc-none", new byte[] {9}, T0).join();

    assertThat(store.calls().find("fc-none")).isEmpty();
    assertThat(store.calls().unfinished()).isEmpty();
  }

  @Test
  void unfinishedCallsComeOldestFirstWithoutTheFinishedOnes() {
    store.calls().add(call("fc-late", T0.plusSeconds(2))).join();
    store.calls().add(call("fc-early", T0)).join();
    store.calls().add(call("fc-done", T0.plusSeconds(1))).join();
    store.calls().finish("fc-done", new byte[] {1}, T0.plusSeconds(3)).join();

    assertThat(store.calls().unfinished())
        .extracting(StoredCall::id)
        .containsExactly("fc-early", "fc-late");
  }

  @Test
  void aSweepDeletesOnlyCallsThatFinishedBeforeItsInstant() {
    store.calls().add(call("fc-old", T0)).join();
    store.calls().add(call("fc-new", T0)).join();
    store.calls().add(call("fc-running", T0)).join();
    store.calls().finish("fc-old", new byte[] {1}, T0.plusSeconds(1)).join();
    store.calls().finish("fc-new", new byte[] {1}, T0.plusSeconds(10)).join();

    assertThat(store.calls().sweep(T0.plusSeconds(10))).isEqualTo(1);

    assertThat(store.calls().find("fc-old")).isEmpty();
    assertThat(store.calls().find("fc-new")).isPresent(); // finished at the instant, not before
    assertThat(store.calls().find("fc-running")).isPresent(); // unfinished: never swept
    assertThat(store.calls().sweep(T0.plusSeconds(10))).isZero();
  }

  @Test
  void callsAddedConcurrentlyAreAllStored() {
    int threads = 8;
    int each = 250;
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
      List<CompletableFuture<List<CompletableFuture<Void>>>> submitted =
          IntStream.range(0, threads)
              .mapToObj(
                  t ->
                      CompletableFuture.supplyAsync(
                          () ->
                              IntStream.range(0, each)
                                  .mapToObj(i -> store.calls().add(call("fc-" + t + "-" + i, T0)))
                                  .toList(),
                          pool))
              .toList();
      submitted.forEach(s -> writes.addAll(s.join()));
    }
    CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).join();

    assertThat(store.calls().unfinished()).hasSize(threads * each);
    assertThat(store.calls().find("fc-7-249")).isPresent();
  }

  // ------------------------------------------------------------------------------ deployments

  @Test
  void deploymentsAreListedByNameAndASaveReplacesTheOneOfItsName() {
    store.deployments().save(new StoredApp("web", 1, T0, bytes("web v1"))).join();
    store.deployments().save(new StoredApp("api", 1, T0, bytes("api v1"))).join();
    store.deployments().save(new StoredApp("web", 2, T0.plusSeconds(1), bytes("web v2"))).join();

    List<StoredApp> all = store.deployments().all();
    assertThat(all).extracting(StoredApp::name).containsExactly("api", "web");
    StoredApp web = all.get(1);
    assertThat(web.version()).isEqualTo(2);
    assertThat(web.deployedAt()).isEqualTo(T0.plusSeconds(1));
    assertThat(text(web.definition())).isEqualTo("web v2");
  }

  @Test
  void aDeletedDeploymentIsGoneAndDeletingAnUnknownOneDoesNothing() {
    store.deployments().save(new StoredApp("web", 1, T0, bytes("web"))).join();
    store.deployments().save(new StoredApp("api", 1, T0, bytes("api"))).join();

    store.deployments().delete("web").join();
    store.deployments().delete("never-deployed").join();

    assertThat(store.deployments().all()).extracting(StoredApp::name).containsExactly("api");
  }

  @Test
  void autoscalerOverridesAreKeptPerFunctionOfTheirVersionAndALaterOneReplacesTheEarlier() {
    store.deployments().save(new StoredApp("web", 3, T0, bytes("web v3"))).join();
    store.deployments().saveAutoscaler("web", 3, "f", bytes("f 1")).join();
    store.deployments().saveAutoscaler("web", 3, "g", bytes("g 1")).join();
    store.deployments().saveAutoscaler("web", 3, "f", bytes("f 2")).join();
    store.deployments().saveAutoscaler("api", 1, "f", bytes("api f")).join();

    assertThat(store.deployments().autoscalers("web", 3))
        .containsOnlyKeys("f", "g")
        .hasEntrySatisfying("f", b -> assertThat(text(b)).isEqualTo("f 2"))
        .hasEntrySatisfying("g", b -> assertThat(text(b)).isEqualTo("g 1"));
    assertThat(store.deployments().autoscalers("web", 2)).isEmpty();
    assertThat(store.deployments().autoscalers("nothing", 3)).isEmpty();
  }

  @Test
  void aNewVersionOrAnUndeployForgetsTheAutoscalerOverridesOfItsName() {
    store.deployments().save(new StoredApp("web", 1, T0, bytes("web v1"))).join();
    store.deployments().save(new StoredApp("api", 1, T0, bytes("api v1"))).join();
    store.deployments().saveAutoscaler("web", 1, "f", bytes("web f")).join();
    store.deployments().saveAutoscaler("api", 1, "f", bytes("api f")).join();

    store.deployments().save(new StoredApp("web", 2, T0, bytes("web v2"))).join();
    store.deployments().saveAutoscaler("web", 2, "g", bytes("web g")).join();
    store.deployments().save(new StoredApp("web", 2, T0, bytes("web v2 again"))).join();

    assertThat(store.deployments().autoscalers("web", 1)).isEmpty();
    assertThat(store.deployments().autoscalers("web", 2)).containsOnlyKeys("g");
    store.deployments().delete("api").join();
    assertThat(store.deployments().autoscalers("api", 1)).isEmpty();
  }

  // ------------------------------------------------------------------------------ runs

  @Test
  void theLatestRunsOfAnAppComeOldestFirstUpToTheLimit() {
    for (int i = 0; i < 5; i++) {
      store.runs().add(run("r-" + i, "hello", "tick", T0, T0.plusSeconds(i))).join();
    }
    store.runs().add(run("r-other", "other", "tick", T0, T0.plusSeconds(9))).join();

    assertThat(store.runs().latest("hello", 3))
        .extracting(StoredRun::id)
        .containsExactly("r-2", "r-3", "r-4");
    assertThat(store.runs().latest("hello", 100)).hasSize(5);
    assertThat(store.runs().latest("hello", 0)).isEmpty();
    assertThat(store.runs().latest("nobody", 10)).isEmpty();
  }

  @Test
  void runsThatStartedAtTheSameInstantKeepTheOrderTheyWereAdded() {
    store.runs().add(run("r-b", "hello", "f", T0, T0)).join();
    store.runs().add(run("r-a", "hello", "g", T0, T0)).join();
    store.runs().add(run("r-c", "hello", "h", T0, T0)).join();

    assertThat(store.runs().latest("hello", 2))
        .extracting(StoredRun::id)
        .containsExactly("r-a", "r-c");
  }

  @Test
  void aFinishedRunHasItsEndAndResultAndAnUnknownRunIsIgnored() {
    store.runs().add(run("r-1", "hello", "tick", T0, T0.plusSeconds(1))).join();
    store.runs().finish("r-1", T0.plusSeconds(2), new byte[] {7}).join();
    store.runs().finish("r-none", T0.plusSeconds(2), new byte[] {7}).join();

    List<StoredRun> runs = store.runs().latest("hello", 10);
    assertThat(runs).hasSize(1);
    StoredRun r = runs.get(0);
    assertThat(r.function()).isEqualTo("tick");
    assertThat(r.scheduledAt()).isEqualTo(T0);
    assertThat(r.startedAt()).isEqualTo(T0.plusSeconds(1));
    assertThat(r.finishedAt()).contains(T0.plusSeconds(2));
    assertThat(r.result()).hasValueSatisfying(b -> assertThat(b).containsExactly(7));
  }

  @Test
  void finishingUnfinishedRunsEndsOnlyThoseWithoutAnEnd() {
    store.runs().add(run("r-done", "hello", "tick", T0, T0)).join();
    store.runs().finish("r-done", T0.plusSeconds(1), new byte[] {1}).join();
    store.runs().add(run("r-open", "hello", "tick", T0.plusSeconds(2), T0.plusSeconds(2))).join();

    assertThat(store.runs().finishUnfinished(T0.plusSeconds(9), new byte[] {9})).isEqualTo(1);

    assertThat(store.runs().latest("hello", 10))
        .extracting(r -> r.id(), r -> r.finishedAt().orElseThrow(), r -> r.result().get()[0])
        .containsExactly(
            tuple("r-done", T0.plusSeconds(1), (byte) 1),
            tuple("r-open", T0.plusSeconds(9), (byte) 9));
    assertThat(store.runs().finishUnfinished(T0.plusSeconds(10), new byte[] {0})).isZero();
  }

  @Test
  void aDuplicateRunIdFailsItsWrite() {
    store.runs().add(run("r-1", "hello", "tick", T0, T0)).join();

    assertThat(store.runs().add(run("r-1", "hello", "tick", T0, T0)))
        .failsWithin(Duration.ofSeconds(10));
    assertThat(store.runs().latest("hello", 10)).hasSize(1);
  }

  @Test
  void theLastTickIsTheLatestScheduledOfThatFunctionFinishedOrNot() {
    assertThat(store.runs().lastTick("hello", "tick")).isEmpty();
    store.runs().add(run("r-1", "hello", "tick", T0.plusSeconds(60), T0.plusSeconds(61))).join();
    store.runs().finish("r-1", T0.plusSeconds(62), new byte[] {1}).join();
    store.runs().add(run("r-2", "hello", "tick", T0.plusSeconds(120), T0.plusSeconds(121))).join();
    store.runs().add(run("r-3", "hello", "other", T0.plusSeconds(600), T0)).join();
    store.runs().add(run("r-4", "elsewhere", "tick", T0.plusSeconds(900), T0)).join();

    assertThat(store.runs().lastTick("hello", "tick")).contains(T0.plusSeconds(120));
  }

  @Test
  void aSweepDeletesOnlyFinishedRunsThatStartedBeforeItsInstant() {
    store.runs().add(run("r-old", "hello", "tick", T0, T0)).join();
    store.runs().add(run("r-running", "hello", "tick", T0, T0)).join();
    store.runs().add(run("r-new", "hello", "tick", T0, T0.plusSeconds(10))).join();
    store.runs().finish("r-old", T0.plusSeconds(1), new byte[] {1}).join();
    store.runs().finish("r-new", T0.plusSeconds(11), new byte[] {1}).join();

    assertThat(store.runs().sweep(T0.plusSeconds(10))).isEqualTo(1);

    assertThat(store.runs().latest("hello", 10))
        .extracting(StoredRun::id)
        .containsExactly("r-running", "r-new");
  }

  // ------------------------------------------------------------------------------ logs

  @Test
  void theNewestLogLinesOfAnAppComeOldestFirst() {
    for (int i = 0; i < 5; i++) {
      store.logs().append("hello", "c-1", bytes("line " + i)).join();
    }
    store.logs().append("other", "c-2", bytes("other line")).join();

    assertThat(store.logs().newest("hello", 3).stream().map(StoreContract::text))
        .containsExactly("line 2", "line 3", "line 4");
    assertThat(store.logs().newest("hello", 100)).hasSize(5);
    assertThat(store.logs().newest("hello", 0)).isEmpty();
    assertThat(store.logs().newest("nobody", 10)).isEmpty();
  }

  @Test
  void pruningKeepsTheNewestLinesAndForgetsTheContainersOfTheOthers() {
    for (int i = 0; i < 15; i++) {
      store.logs().append("hello", i < 5 ? "c-old" : "c-new", bytes("line " + i)).join();
    }
    store.logs().append("other", "c-other", bytes("other line")).join();

    store.logs().prune("hello", 10).join();

    List<String> kept =
        store.logs().newest("hello", 100).stream().map(StoreContract::text).toList();
    assertThat(kept).hasSize(10).startsWith("line 5").endsWith("line 14");
    assertThat(store.logs().newest("other", 100)).hasSize(1);
    assertThat(store.logs().appOfContainer("c-new")).contains("hello");
    assertThat(store.logs().appOfContainer("c-old")).isEmpty();
    assertThat(store.logs().appOfContainer("c-other")).contains("other");
    assertThat(store.logs().appOfContainer("c-never")).isEmpty();
  }

  @Test
  void pruningToNothingForgetsEveryLineAndPruningFewerLinesKeepsThemAll() {
    store.logs().append("hello", "c-1", bytes("a")).join();
    store.logs().append("hello", "c-1", bytes("b")).join();
    store.logs().append("other", "c-2", bytes("c")).join();

    store.logs().prune("other", 5).join();
    store.logs().prune("hello", 0).join();

    assertThat(store.logs().newest("hello", 10)).isEmpty();
    assertThat(store.logs().appOfContainer("c-1")).isEmpty();
    assertThat(store.logs().newest("other", 10)).hasSize(1);
  }

  // ------------------------------------------------------------------------------ tokens

  @Test
  void theApiTokenIsCreatedOnceAs64HexDigits() {
    String token = store.tokens().apiToken();

    assertThat(token).matches("[0-9a-f]{64}");
    assertThat(store.tokens().apiToken()).isEqualTo(token);
  }

  @Test
  void webTokensAreListedOldestFirstAndADeletedOneIsGone() {
    store.tokens().addWebToken(new StoredWebToken("wk-b", "", T0, bytes("b"))).join();
    store
        .tokens()
        .addWebToken(new StoredWebToken("wk-c", "ci", T0.plusSeconds(1), bytes("c")))
        .join();
    store.tokens().addWebToken(new StoredWebToken("wk-a", "", T0, bytes("a"))).join();

    assertThat(store.tokens().webTokens())
        .extracting(StoredWebToken::keyId)
        .containsExactly("wk-a", "wk-b", "wk-c");
    StoredWebToken c = store.tokens().webTokens().get(2);
    assertThat(c.name()).isEqualTo("ci");
    assertThat(c.createdAt()).isEqualTo(T0.plusSeconds(1));
    assertThat(text(c.secretSha256())).isEqualTo("c");

    store.tokens().deleteWebToken("wk-b").join();
    store.tokens().deleteWebToken("wk-never").join();

    assertThat(store.tokens().webTokens())
        .extracting(StoredWebToken::keyId)
        .containsExactly("wk-a", "wk-c");
  }

  @Test
  void aDuplicateWebTokenKeyFailsItsWriteAndKeepsTheFirst() {
    store.tokens().addWebToken(new StoredWebToken("wk-a", "first", T0, bytes("a"))).join();

    assertThat(store.tokens().addWebToken(new StoredWebToken("wk-a", "second", T0, bytes("b"))))
        .failsWithin(Duration.ofSeconds(10));
    assertThat(store.tokens().webTokens())
        .extracting(StoredWebToken::name)
        .containsExactly("first");
  }
}
