package dev.skiff.server.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.InvalidConfigurationException;
import dev.skiff.NotFoundException;
import dev.skiff.SkiffException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretStoreTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);
  @TempDir Path home;

  private SecretStore store() {
    return SecretStore.open(home.resolve("data"), home.resolve("secret.key"), CLOCK);
  }

  @Test
  void storesValuesEncryptedAndReadsThemBack() throws IOException {
    SecretStore store = store();
    store.put("db", Map.of("USER", "app", "PASSWORD", "hunter2-very-secret"));

    assertThat(store().get("db"))
        .contains(Map.of("USER", "app", "PASSWORD", "hunter2-very-secret"));
    assertThat(store.list())
        .containsExactly(new SecretStore.Entry("db", List.of("PASSWORD", "USER"), CLOCK.instant()));
    try (Stream<Path> files = Files.walk(home)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        assertThat(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1))
            .as("file %s", f)
            .doesNotContain("hunter2-very-secret");
      }
    }
    assertThat(Files.getPosixFilePermissions(home.resolve("secret.key")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.size(home.resolve("secret.key"))).isEqualTo(32);
    assertThat(Files.getPosixFilePermissions(home.resolve("data/secrets/db.json")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
  }

  @Test
  void aMissingSecretIsEmptyAndDeletingItIsNotFound() {
    assertThat(store().get("nope")).isEmpty();
    assertThat(store().list()).isEmpty();
    assertThatThrownBy(() -> store().delete("nope"))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("secret 'nope' not found");
    assertThat(home.resolve("secret.key")).doesNotExist(); // reading creates nothing
  }

  @Test
  void putReplacesAndDeleteRemoves() {
    store().put("api", Map.of("TOKEN", "one"));
    store().put("api", Map.of("TOKEN", "two", "URL", "u"));
    assertThat(store().get("api")).contains(Map.of("TOKEN", "two", "URL", "u"));
    store().delete("api");
    assertThat(store().get("api")).isEmpty();
  }

  @Test
  void aFileGivenAnotherNameOrOtherKeysDoesNotDecrypt() throws IOException {
    store().put("a", Map.of("K", "v"));
    Path dir = home.resolve("data/secrets");
    String json = Files.readString(dir.resolve("a.json"));
    Files.writeString(dir.resolve("b.json"), json.replace("\"a\"", "\"b\""));
    assertThatThrownBy(() -> store().get("b"))
        .isInstanceOf(SkiffException.class)
        .hasMessageContaining("cannot be decrypted");
    Files.writeString(dir.resolve("a.json"), json.replace("\"K\"", "\"L\""));
    assertThatThrownBy(() -> store().get("a")).hasMessageContaining("cannot be decrypted");
  }

  @Test
  void anotherKeyCannotDecryptAndAMissingKeyIsNamed() throws IOException {
    store().put("a", Map.of("K", "v"));
    Path other = home.resolve("other.key");
    SecretStore.open(home.resolve("elsewhere"), other, CLOCK).put("x", Map.of("K", "v"));
    assertThatThrownBy(() -> SecretStore.open(home.resolve("data"), other, CLOCK).get("a"))
        .hasMessageContaining("cannot be decrypted with the key in " + other);
    Files.delete(home.resolve("secret.key"));
    assertThatThrownBy(() -> store().get("a"))
        .hasMessageContaining("the secret key file " + home.resolve("secret.key") + " is missing");
  }

  @Test
  void badNamesKeysAndEmptySecretsAreRefusedAndWriteNothing() {
    assertThatThrownBy(() -> store().put("../x", Map.of("K", "v")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("secret name '../x' is not allowed");
    assertThatThrownBy(() -> store().put("x", Map.of("SKIFF_TOKEN", "v")))
        .hasMessageContaining("secret key 'SKIFF_TOKEN' is not allowed");
    assertThatThrownBy(() -> store().put("x", Map.of("A B", "v")))
        .hasMessageContaining("secret key 'A B' is not allowed");
    assertThatThrownBy(() -> store().put("x", Map.of()))
        .hasMessageContaining("needs at least one KEY=VALUE");
    assertThat(home.resolve("data")).doesNotExist();
    assertThat(home.resolve("secret.key")).doesNotExist();
  }
}
