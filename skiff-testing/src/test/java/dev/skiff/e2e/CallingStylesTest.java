package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.AppRun;
import dev.skiff.Args2;
import dev.skiff.Args3;
import dev.skiff.Args4;
import dev.skiff.FunctionCall;
import dev.skiff.MapOptions;
import dev.skiff.NotFoundException;
import dev.skiff.Outcome;
import dev.skiff.ResultNotReadyException;
import dev.skiff.RunOptions;
import dev.skiff.testing.SkiffExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every calling style of the seed, end to end through real containers. */
@Tag("e2e")
class CallingStylesTest {
  @RegisterExtension static final SkiffExtension skiff = SkiffExtension.create();

  static AppRun run;

  @BeforeAll
  static void startApp() {
    run = Fns.app.run(RunOptions.quiet());
  }

  @AfterAll
  static void stopApp() {
    run.close();
  }

  @Test
  void remoteRunsInAnotherProcessAndLocalInThisOne() {
    long here = ProcessHandle.current().pid();
    assertThat(Fns.pid.remote()).isNotEqualTo(here);
    assertThat(Fns.pid.local()).isEqualTo(here);
  }

  @Test
  void theFixturesContainersStartWithItsJvmOptions() {
    assertThat(Fns.jvmArguments.remote()).contains("-XX:TieredStopAtLevel=1");
  }

  @Test
  void remoteReturnsTheFunctionsValue() {
    assertThat(Fns.hello.remote("World")).isEqualTo("Hello, World!");
    assertThat(Fns.hello.local("World")).isEqualTo("Hello, World!");
  }

  @Test
  void functionsOfSeveralParametersAndLambdas() {
    assertThat(Fns.add.remote(2, 3)).isEqualTo(5);
    assertThat(Fns.three.remote("ab", 3, true)).isEqualTo("ABABAB");
    assertThat(Fns.sum4.remote(1, 2, 3, 4)).isEqualTo(10);
    assertThat(Fns.lambda.remote("shout")).isEqualTo("SHOUT");
    assertThat(Fns.lambda.name()).isEqualTo("upper");
  }

  @Test
  void mapOverTenThousandInputsKeepsInputOrder() {
    List<Integer> inputs = IntStream.range(0, 10_000).boxed().toList();
    List<Integer> results;
    try (Stream<Integer> s = Fns.square.map(inputs)) {
      results = s.toList();
    }
    assertThat(results).hasSize(10_000);
    for (int i = 0; i < 10_000; i++) {
      assertThat(results.get(i)).isEqualTo(i * i);
    }
  }

  @Test
  void unorderedMapReturnsTheSameMultiset() {
    List<Integer> inputs = IntStream.range(0, 10_000).boxed().toList();
    List<Integer> results = Fns.square.map(inputs, MapOptions.unordered()).toList();
    assertThat(results)
        .hasSize(10_000)
        .containsExactlyInAnyOrderElementsOf(inputs.stream().map(i -> i * i).toList());
  }

  @Test
  void mapOutcomesPutsEachFailureAtItsIndex() {
    List<Integer> inputs = IntStream.range(0, 10_000).boxed().toList();
    List<Outcome<Integer>> outcomes = Fns.failOnSevens.mapOutcomes(inputs).toList();
    assertThat(outcomes).hasSize(10_000);
    for (int i = 0; i < outcomes.size(); i++) {
      Outcome<Integer> o = outcomes.get(i);
      if (i % 1000 == 7) {
        assertThat(o).isInstanceOf(Outcome.Failure.class);
        assertThat(((Outcome.Failure<Integer>) o).error())
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("input " + i + " is unlucky");
      } else {
        assertThat(o).isEqualTo(new Outcome.Success<>(i * 2));
      }
    }
  }

  @Test
  void mapThrowsTheFirstFailure() {
    List<Integer> inputs = IntStream.range(0, 100).boxed().toList();
    assertThatThrownBy(() -> Fns.failOnSevens.map(inputs).toList())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("input 7 is unlucky");
  }

  @Test
  void mapOfNoInputsIsEmpty() {
    assertThat(Fns.square.map(List.of()).toList()).isEmpty();
  }

  @Test
  void starmapAndZippedMap() {
    assertThat(Fns.add.starmap(List.of(Args2.of(1, 2), Args2.of(3, 4))).toList())
        .containsExactly(3, 7);
    assertThat(Fns.add.map(List.of(1, 2, 3), List.of(10, 20, 30)).toList())
        .containsExactly(11, 22, 33);
    assertThat(Fns.three.starmap(List.of(Args3.of("x", 2, false))).toList()).containsExactly("xx");
    assertThat(Fns.sum4.starmap(List.of(Args4.of(1, 1, 1, 1))).toList()).containsExactly(4);
  }

  @Test
  void everyArityHasTheZippedMapAndItsOutcomes() {
    assertThat(Fns.three.map(List.of("a", "b", "c"), List.of(1, 2), List.of(false, true)).toList())
        .containsExactly("a", "BB");
    assertThat(
            Fns.sum4
                .map(
                    List.of(1, 2),
                    List.of(10, 20),
                    List.of(100, 200),
                    List.of(1000, 2000),
                    MapOptions.unordered())
                .toList())
        .containsExactlyInAnyOrder(1111, 2222);
    assertThat(Fns.add.mapOutcomes(List.of(1, 2), List.of(3, 4)).toList())
        .containsExactly(new Outcome.Success<>(4), new Outcome.Success<>(6));
    assertThat(Fns.sum4.remoteAsync(1, 2, 3, 4))
        .succeedsWithin(Duration.ofSeconds(60))
        .isEqualTo(10);
    assertThat(Fns.three.spawn("x", 2, false).get()).isEqualTo("xx");
  }

  @Test
  void spawnedCallIsFetchedByIdAndWithTimeout() {
    FunctionCall<Long> call = Fns.sleepMillis.spawn(1500L);
    assertThat(call.id()).startsWith("fc-");
    assertThatThrownBy(() -> call.get(Duration.ofMillis(100)))
        .isInstanceOf(ResultNotReadyException.class)
        .hasMessageContaining(call.id());
    FunctionCall<Long> again = FunctionCall.fromId(call.id());
    assertThat(again.get()).isEqualTo(1500L);
    assertThat(call.get(Duration.ofSeconds(1))).isEqualTo(1500L);
  }

  @Test
  void unknownCallIdIsNotFound() {
    assertThatThrownBy(() -> FunctionCall.fromId("fc-doesnotexist"))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("fc-doesnotexist");
  }

  @Test
  void remoteAsyncCompletesAndCompletionStageResultsAreAwaited() {
    CompletableFuture<String> a = Fns.slowHello.remoteAsync("A");
    CompletableFuture<String> b = Fns.slowHello.remoteAsync("B");
    assertThat(a.join()).isEqualTo("Hello later, A!");
    assertThat(b.join()).isEqualTo("Hello later, B!");
    assertThat(Fns.slowHello.remote("C")).isEqualTo("Hello later, C!");
  }

  @Test
  void remoteAsyncFailsWithTheUsersException() {
    CompletableFuture<String> f = Fns.throwIllegalArgument.remoteAsync("async");
    assertThatThrownBy(f::join).hasCauseInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void codeInAContainerCallsOtherFunctionsRemotely() {
    assertThat(Fns.lengthOfRemoteHello.remote("World")).isEqualTo("Hello, World!".length());
  }

  @Test
  void recordsCollectionsOptionalsBytesEnumsAndNullsRoundTrip() {
    Fns.Shape shape =
        new Fns.Shape(
            "square",
            4,
            2.25,
            List.of("a", "b"),
            Map.of("x", 1),
            Optional.of("note"),
            new byte[] {0, 1, (byte) 255},
            Fns.Kind.ANGULAR,
            null);
    Fns.Shape back = Fns.echoShape.remote(shape);
    assertThat(back).usingRecursiveComparison().isEqualTo(shape);
    assertThat(back.raw()).containsExactly(0, 1, (byte) 255);
    assertThat(Fns.echoShape.remote(null)).isNull();
    assertThat(Fns.describe.remote(null)).isEqualTo("null");
  }
}
