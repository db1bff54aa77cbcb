package dev.skiff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every arity has the same definitions (plain, void, async, generator, each with and without
 * options) and every handle runs them locally through the same path; calling a handle remotely
 * outside a run fails the same way at every arity.
 */
class ArityFormsTest {
  static final List<String> SEEN = new CopyOnWriteArrayList<>();

  static void v0() {
    SEEN.add("v0");
  }

  static void v2(String a, int b) {
    SEEN.add("v2:" + a + b);
  }

  static void v3(String a, int b, boolean c) {
    SEEN.add("v3:" + a + b + c);
  }

  static void v4(String a, int b, boolean c, long d) {
    SEEN.add("v4:" + a + b + c + d);
  }

  static CompletionStage<String> async3(String a, String b, String c) {
    return CompletableFuture.completedFuture(a + b + c);
  }

  static CompletionStage<String> async4(String a, String b, String c, String d) {
    return CompletableFuture.supplyAsync(() -> a + b + c + d);
  }

  static CompletionStage<String> failing4(String a, String b, String c, String d) {
    return CompletableFuture.failedFuture(new IllegalStateException("no " + a));
  }

  static Stream<Integer> gen3(int a, int b, int c) {
    return Stream.of(a, b, c);
  }

  static List<String> gen4(String a, String b, String c, String d) {
    return List.of(a, b, c, d);
  }

  static int sum4(int a, int b, int c, int d) {
    return a + b + c + d;
  }

  @Test
  void voidFunctionsOfEveryArityReturnNull() {
    App app = App.named("arity");
    SEEN.clear();

    Function0<Void> f0 = app.voidFunction(ArityFormsTest::v0);
    Function2<String, Integer, Void> f2 = app.voidFunction(ArityFormsTest::v2);
    Function3<String, Integer, Boolean, Void> f3 = app.voidFunction(ArityFormsTest::v3);
    Function4<String, Integer, Boolean, Long, Void> f4 =
        app.voidFunction(ArityFormsTest::v4, f -> f.name("four"));

    assertThat(f0.local()).isNull();
    assertThat(f2.local("a", 1)).isNull();
    assertThat(f3.local("a", 1, true)).isNull();
    assertThat(f4.local("a", 1, true, 2L)).isNull();
    assertThat(SEEN).containsExactly("v0", "v2:a1", "v3:a1true", "v4:a1true2");
    assertThat(f4.name()).isEqualTo("four");
  }

  static String over(String a, int b) {
    return a + b;
  }

  static String over(int a, int b) {
    return Integer.toString(a + b);
  }

  static <T> T pick(T a, T b) {
    return b;
  }

  @Test
  void overloadedAndGenericMethodsOfTwoOrMoreParametersStayUnambiguous() {
    // These lines compile only while function(...) has no void overload from two parameters on.
    App app = App.named("arity");
    Function2<String, Integer, String> over = app.function(ArityFormsTest::over);
    Function2<String, String, String> pick = app.function(ArityFormsTest::pick);
    Function2<String, Integer, String> lambda =
        app.function((a, b) -> over(a, b), f -> f.name("overLambda"));

    assertThat(over.local("a", 1)).isEqualTo("a1");
    assertThat(pick.local("a", "b")).isEqualTo("b");
    assertThat(lambda.local("b", 2)).isEqualTo("b2");
  }

  @Test
  void asyncFunctionsOfEveryArityAreAwaited() {
    App app = App.named("arity");

    Function3<String, String, String, String> f3 = app.asyncFunction(ArityFormsTest::async3);
    Function4<String, String, String, String, String> f4 =
        app.asyncFunction(ArityFormsTest::async4, f -> f.timeout(Duration.ofSeconds(5)));
    Function4<String, String, String, String, String> failing =
        app.asyncFunction(ArityFormsTest::failing4);

    assertThat(f3.local("a", "b", "c")).isEqualTo("abc");
    assertThat(f4.local("a", "b", "c", "d")).isEqualTo("abcd");
    assertThatThrownBy(() -> failing.local("x", "y", "z", "w"))
        .isExactlyInstanceOf(IllegalStateException.class)
        .hasMessage("no x");
  }

  @Test
  void generatorsOfEveryArityHaveTheFormWithoutOptions() {
    App app = App.named("arity");

    Generator3<Integer, Integer, Integer, Integer> g3 = app.generator(ArityFormsTest::gen3);
    Generator4<String, String, String, String, String> g4 = app.generator(ArityFormsTest::gen4);

    assertThat(g3.local(1, 2, 3)).containsExactly(1, 2, 3);
    assertThat(g4.local("a", "b", "c", "d")).containsExactly("a", "b", "c", "d");
  }

  @Test
  void everyRemoteFormOfEveryArityNeedsARunningApp() {
    App app = App.named("arity");
    Function4<Integer, Integer, Integer, Integer, Integer> f4 = app.function(ArityFormsTest::sum4);
    String notRunning = "app 'arity' is not running";

    assertThat(f4.local(1, 2, 3, 4)).isEqualTo(10);
    assertThatThrownBy(() -> f4.remote(1, 2, 3, 4)).hasMessageStartingWith(notRunning);
    assertThatThrownBy(() -> f4.remoteAsync(1, 2, 3, 4)).hasMessageStartingWith(notRunning);
    assertThatThrownBy(() -> f4.spawn(1, 2, 3, 4)).hasMessageStartingWith(notRunning);
    assertThatThrownBy(() -> f4.map(List.of(1), List.of(2), List.of(3), List.of(4)))
        .hasMessageStartingWith(notRunning);
    assertThatThrownBy(() -> f4.mapOutcomes(List.of(1), List.of(2), List.of(3), List.of(4)))
        .hasMessageStartingWith(notRunning);
    assertThatThrownBy(() -> f4.starmap(List.of(Args4.of(1, 2, 3, 4))))
        .hasMessageStartingWith(notRunning);
  }
}
