package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.App;
import dev.skiff.AppRun;
import dev.skiff.Function1;
import dev.skiff.InvalidConfigurationException;
import dev.skiff.NotFoundException;
import dev.skiff.RunOptions;
import dev.skiff.Secret;
import dev.skiff.testing.SkiffExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Secrets reach the containers of the functions that list them, and only those. */
@Tag("e2e")
class SecretsTest {
  @RegisterExtension static final SkiffExtension skiff = SkiffExtension.create();

  static final Path DOTENV =
      Path.of(
          System.getProperty("java.io.tmpdir"),
          "skiff-secrets-test-" + ProcessHandle.current().pid() + ".env");

  static final App app = App.named("secrets");

  static final Function1<String, String> withSecrets =
      app.function(
          SecretsTest::env,
          f ->
              f.name("withSecrets")
                  .secrets(
                      Secret.fromMap(Map.of("API_KEY", "from-map", "REGION_TOKEN", "r-123")),
                      Secret.fromDotenv(DOTENV)));

  static final Function1<String, String> withoutSecrets =
      app.function(SecretsTest::env, f -> f.name("withoutSecrets"));

  static final App named = App.named("named-secrets");
  static final Function1<String, String> withNamed =
      named.function(SecretsTest::env, f -> f.secrets(Secret.fromName("my-secret")));

  static String env(String key) {
    return System.getenv(key);
  }

  @AfterAll
  static void removeDotenv() throws IOException {
    Files.deleteIfExists(DOTENV);
  }

  @Test
  void secretsAreEnvironmentVariablesOfTheFunctionsThatListThemOnly() throws IOException {
    Files.writeString(DOTENV, "# comment\nexport API_KEY=\"from-dotenv\"\n\nPLAIN=yes\n");
    try (AppRun run = app.run(RunOptions.quiet())) {
      assertThat(withSecrets.remote("API_KEY")).isEqualTo("from-dotenv"); // later secrets win
      assertThat(withSecrets.remote("REGION_TOKEN")).isEqualTo("r-123");
      assertThat(withSecrets.remote("PLAIN")).isEqualTo("yes");
      assertThat(withoutSecrets.remote("API_KEY")).isNull();
      assertThat(withoutSecrets.remote("REGION_TOKEN")).isNull();
    }
  }

  @Test
  void aMissingNamedSecretFailsTheRunNamingItAndStartsNothing() {
    assertThatThrownBy(() -> named.run(RunOptions.quiet()))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("secret 'my-secret' (used by function 'env' of app 'named-secrets')")
        .hasMessageContaining("not found in the secret store " + skiff.dataDir().resolve("secrets"))
        .hasMessageContaining("skiff secret create my-secret");
    // Nothing was half-applied: the app can be fixed and run again, and is not left running.
    assertThatThrownBy(() -> named.run(RunOptions.quiet())).isInstanceOf(NotFoundException.class);
  }

  @Test
  void requiredKeysMustBeVariableNames() {
    assertThatThrownBy(() -> Secret.fromName("db").requireKeys("NOT A KEY"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("required key 'NOT A KEY' of secret 'db' is not allowed");
    assertThat(Secret.fromName("db", "USER").requireKeys("PASSWORD").requiredKeys())
        .containsExactly("USER", "PASSWORD");
  }

  @Test
  void keysThatAreNoVariableNamesAreRefused() {
    assertThatThrownBy(() -> Secret.fromMap(Map.of("NOT A NAME", "x")))
        .hasMessageContaining("key 'NOT A NAME' is not allowed");
    assertThatThrownBy(() -> Secret.fromMap(Map.of("SKIFF_TOKEN", "x")))
        .hasMessageContaining("not starting with SKIFF_");
  }
}
