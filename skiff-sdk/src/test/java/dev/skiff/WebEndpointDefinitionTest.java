package dev.skiff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.internal.WebEndpointSpec;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Web endpoints and schedules are checked when they are defined, with exact messages. */
class WebEndpointDefinitionTest {
  static String greet(String name, int times) {
    return name.repeat(times);
  }

  static WebResponse raw(WebRequest request) {
    return WebResponse.empty(204);
  }

  static String notRaw(WebRequest request) {
    return request.method();
  }

  static Stream<Integer> numbers() {
    return Stream.of(1);
  }

  @Test
  void simpleEndpointRecordsItsParameterNamesAndOptions() throws Exception {
    App app = App.named("defs");
    WebEndpoint e =
        app.webEndpoint(
            WebEndpointDefinitionTest::greet, w -> w.method("post").label("hi").requiresAuth());
    assertThat(e.name()).isEqualTo("greet");
    assertThat(e.label()).isEqualTo("hi");
    assertThat(e.method()).isEqualTo("POST");
    assertThat(e.requiresAuth()).isTrue();
    var spec =
        WebEndpointSpec.of(
                WebEndpointDefinitionTest.class.getDeclaredMethod("greet", String.class, int.class))
            .orElseThrow();
    assertThat(spec.parameters()).containsExactly("name", "times");
    assertThat(spec.raw()).isFalse();
  }

  @Test
  void methodTakingAWebRequestIsTheLowLevelForm() throws Exception {
    App.named("defs-raw").webEndpoint(WebEndpointDefinitionTest::raw);
    assertThat(
            WebEndpointSpec.of(
                    WebEndpointDefinitionTest.class.getDeclaredMethod("raw", WebRequest.class))
                .orElseThrow()
                .raw())
        .isTrue();
    assertThatThrownBy(() -> App.named("defs-raw2").webEndpoint(WebEndpointDefinitionTest::notRaw))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage(
            "web endpoint 'notRaw': a method taking a WebRequest must return a WebResponse;"
                + " dev.skiff.WebEndpointDefinitionTest.notRaw returns java.lang.String");
  }

  @Test
  void invalidEndpointOptionsAreRefused() {
    App app = App.named("defs-bad");
    assertThatThrownBy(
            () -> app.webEndpoint(WebEndpointDefinitionTest::greet, w -> w.method("PUT")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage("web endpoint 'greet': method was 'PUT'; allowed is GET or POST");
    assertThatThrownBy(() -> app.webEndpoint(WebEndpointDefinitionTest::greet, w -> w.label("a/b")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage(
            "web endpoint 'greet': label 'a/b' is not allowed; use 1-63 of [A-Za-z0-9_-], starting"
                + " with a letter or digit");
    assertThatThrownBy(
            () ->
                app.webEndpoint(
                    WebEndpointDefinitionTest::greet, w -> w.function(f -> f.retries(2))))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage(
            "web endpoint 'greet': retries are not supported for web endpoints; remove retries");
    assertThatThrownBy(() -> new WebResponse(42, Map.of(), new byte[0]))
        .hasMessage("web response status was 42; allowed is 100..599");
  }

  @Test
  void scheduleOnAGeneratorIsRefused() {
    assertThatThrownBy(
            () ->
                App.named("defs-gen")
                    .generator(WebEndpointDefinitionTest::numbers, f -> f.schedule(Every.hours(1))))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage(
            "generator 'numbers': schedule is not supported for generators; use a function");
  }
}
