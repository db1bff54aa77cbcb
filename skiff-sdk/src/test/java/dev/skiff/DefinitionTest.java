package dev.skiff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Collections;
import java.util.Iterator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Definitions are validated eagerly, with messages that name the function, option and value. */
class DefinitionTest {
  static String hello(String name) {
    return "Hello, " + name;
  }

  static int noArgs() {
    return 1;
  }

  static Stream<Integer> gen(int n) {
    return Stream.of(n);
  }

  static Stream<Runnable> abstractItems(int n) {
    return Stream.empty();
  }

  static Iterator<Empty> emptyItems() {
    return Collections.emptyIterator();
  }

  /** A class with no properties: payloads cannot carry it. */
  static final class Empty {}

  static String notAGenerator(int n) {
    return "x";
  }

  String instanceMethod(String s) {
    return s;
  }

  @Test
  void methodReferenceNamesTheFunction() {
    App app = App.named("defs");
    assertThat(app.function(DefinitionTest::hello).name()).isEqualTo("hello");
  }

  @Test
  void capturingLambdaIsRefused() {
    App app = App.named("defs");
    String greeting = "Hi";
    assertThatThrownBy(() -> app.function((String s) -> greeting + s, f -> f.name("greet")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("captures 1 value(s)");
  }

  @Test
  void instanceMethodReferenceIsRefused() {
    App app = App.named("defs");
    DefinitionTest self = new DefinitionTest();
    assertThatThrownBy(() -> app.function(self::instanceMethod))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("captures");
  }

  @Test
  void lambdaNeedsAName() {
    App app = App.named("defs");
    assertThatThrownBy(() -> app.function((String s) -> s))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("needs a name");
  }

  @Test
  void duplicateNamesAreRefused() {
    App app = App.named("defs");
    app.function(DefinitionTest::hello);
    assertThatThrownBy(() -> app.function(DefinitionTest::hello))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("already has a function named 'hello'");
  }

  @Test
  void scheduleOnlyOnFunctionsWithoutParameters() {
    App app = App.named("defs");
    assertThatThrownBy(() -> app.function(DefinitionTest::hello, f -> f.schedule(Every.days(1))))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage(
            "function 'hello': schedule is only allowed on functions without parameters; it takes 1");
    app.function(DefinitionTest::noArgs, f -> f.schedule(Cron.of("0 */6 * * *")));
  }

  @Test
  void retriesAreRefusedOnGenerators() {
    App app = App.named("defs");
    assertThatThrownBy(() -> app.generator(DefinitionTest::gen, f -> f.retries(2)))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("generator 'gen': retries are not supported for generators");
  }

  @Test
  void generatorMustReturnAStream() {
    App app = App.named("defs");
    assertThatThrownBy(() -> app.generator(DefinitionTest::notAGenerator))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("must return a Stream, Iterator or Iterable");
  }

  @Test
  void optionsAreValidatedWithExactMessages() {
    App app = App.named("defs");
    assertThatThrownBy(() -> app.function(DefinitionTest::hello, f -> f.timeout(Duration.ZERO)))
        .hasMessage("function 'hello': timeout was PT0S; allowed is PT1S..PT24H");
    assertThatThrownBy(
            () -> app.function(DefinitionTest::hello, f -> f.minContainers(3).maxContainers(2)))
        .hasMessage(
            "function 'hello': minContainers (3) is greater than maxContainers (2); allowed is"
                + " minContainers <= maxContainers");
    assertThatThrownBy(() -> app.function(DefinitionTest::hello, f -> f.memory(4096, 1024)))
        .hasMessageContaining("memory limit was 1024 MiB");
    assertThatThrownBy(() -> app.function(DefinitionTest::hello, f -> f.cpu(0.01)))
        .hasMessage("function 'hello': cpu was 0.01; allowed is 0.125..256 cores");
    assertThatThrownBy(() -> app.function(DefinitionTest::hello, f -> f.gpu("A100:9")))
        .hasMessageContaining("gpu was 'A100:9'");
    assertThatThrownBy(() -> app.function(DefinitionTest::hello, f -> f.concurrentInputs(0)))
        .hasMessage("function 'hello': concurrentInputs was 0; allowed is 1..1000");
    assertThatThrownBy(
            () -> app.function(DefinitionTest::hello, f -> f.volume("cache", Volume.fromName("c"))))
        .hasMessageContaining("path 'cache'");
    assertThatThrownBy(() -> Cron.of("0 */6 * *"))
        .hasMessageContaining("has 4 fields; allowed is 5");
    assertThatThrownBy(() -> Cron.of("61 * * * *")).hasMessageContaining("invalid minute field");
    assertThatThrownBy(() -> Retries.builder().maxRetries(11))
        .hasMessage("retries: maxRetries was 11; allowed is 0..10");
    assertThatThrownBy(() -> App.named("no spaces")).hasMessageContaining("is not allowed");
  }

  @Test
  void retryDelaysGrowByTheCoefficientUpToTheMaximum() {
    Retries r =
        Retries.builder()
            .maxRetries(5)
            .initialDelay(Duration.ofSeconds(1))
            .backoffCoefficient(2.0)
            .maxDelay(Duration.ofSeconds(5))
            .build();
    assertThat(r.delayBeforeRetry(1)).isEqualTo(Duration.ofSeconds(1));
    assertThat(r.delayBeforeRetry(2)).isEqualTo(Duration.ofSeconds(2));
    assertThat(r.delayBeforeRetry(3)).isEqualTo(Duration.ofSeconds(4));
    assertThat(r.delayBeforeRetry(4)).isEqualTo(Duration.ofSeconds(5));
    assertThat(Retries.of(3).delayBeforeRetry(3)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void aGeneratorDeclaredWithAnotherItemTypeIsRefusedWhenDefined() {
    App app = App.named("defs");
    assertThatThrownBy(() -> app.generator(DefinitionTest::gen, String.class))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage(
            "generator 'gen' is declared with items of type java.lang.String, but"
                + " dev.skiff.DefinitionTest.gen yields items of type java.lang.Integer; declare"
                + " the generator with java.lang.Integer or a supertype of it");
  }

  @Test
  void aGeneratorDeclaredWithItsItemTypeOrASupertypeIsDefined() {
    App app = App.named("defs");
    Generator1<Integer, Integer> exact = app.generator(DefinitionTest::gen, Integer.class);
    Generator1<Integer, Number> wider =
        app.generator(DefinitionTest::gen, Number.class, f -> f.name("wider"));
    assertThat(exact.local(3)).containsExactly(3);
    assertThat(wider.name()).isEqualTo("wider");
  }

  @Test
  void aGeneratorWhoseItemsPayloadsCannotCarryIsRefusedWhenDefined() {
    App app = App.named("defs");
    assertThatThrownBy(() -> app.generator(DefinitionTest::abstractItems))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageStartingWith(
            "generator 'abstractItems': dev.skiff.DefinitionTest.abstractItems yields items of"
                + " type java.lang.Runnable, which payloads cannot carry (")
        .hasMessageEndingWith(
            "); allowed: records, enums, collections, maps, arrays, primitives and boxes,"
                + " String, byte[], Optional, java.time values, BigDecimal, BigInteger, UUID, URI,"
                + " beans with a constructor without parameters, null");
    assertThatThrownBy(() -> app.generator(DefinitionTest::emptyItems))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("yields items of type dev.skiff.DefinitionTest$Empty")
        .hasMessageContaining("it has no properties to encode");
  }
}
