package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Named secrets end to end: created with {@code skiff secret create}, used by a program run with
 * {@code skiff run} (an embedded control plane reading the same SKIFF_HOME).
 */
@Tag("e2e")
class SecretCommandTest {
  private static final Duration DEADLINE = Duration.ofMinutes(2);
  private static final String PROBE = "skiff-cli/src/test/programs/SecretProbe.java";
  private Path home;

  @BeforeEach
  void setUp() throws IOException {
    home = Files.createTempDirectory("skiff-home-");
  }

  @AfterEach
  void tearDown() {
    CliProcess.deleteTree(home);
  }

  private CliProcess.Result skiff(String... args) {
    return CliProcess.run(home, DEADLINE, args);
  }

  @Test
  void secretCreatedByTheCliReachesOnlyTheFunctionsThatListIt() throws IOException {
    String value = "v-" + UUID.randomUUID();
    CliProcess.Result created =
        skiff("secret", "create", "probe-db", "DB_PASSWORD=" + value, "DB_USER=app");
    assertThat(created.exitCode()).as(created.err()).isZero();
    assertThat(created.out())
        .isEqualTo("created secret 'probe-db' with keys [DB_PASSWORD, DB_USER]\n");

    CliProcess.Result run = skiff("run", PROBE, "probe-db", "DB_PASSWORD", "DB_USER");
    assertThat(run.exitCode()).as(run.err()).isZero();
    String reversed = new StringBuilder(value).reverse().toString();
    assertThat(run.out())
        .contains("with: reversed:" + reversed + "\n")
        .contains("without: absent\n");
    // The containers' logs came back (the probe prints which variable it reads) without the value.
    assertThat(run.all()).contains("looking at variable DB_PASSWORD").doesNotContain(value);

    assertNoFileContains(home, value);
    Path key = home.resolve("secret.key");
    assertThat(Files.getPosixFilePermissions(key))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(home.resolve("data/secrets/probe-db.json")).exists();
  }

  @Test
  void listShowsNamesAndKeysNeverValuesAndDeleteRemoves() {
    String value = "v-" + UUID.randomUUID();
    assertThat(skiff("secret", "create", "one", "A=" + value).exitCode()).isZero();
    assertThat(skiff("secret", "create", "two", "B=" + value, "C=x").exitCode()).isZero();

    CliProcess.Result list = skiff("secret", "list");
    assertThat(list.exitCode()).isZero();
    List<String> lines = list.out().lines().toList();
    assertThat(lines.get(0)).startsWith("NAME").contains("KEYS", "UPDATED");
    assertThat(lines.get(1)).startsWith("one").contains(" A ");
    assertThat(lines.get(2)).startsWith("two").contains(" B,C ");
    assertThat(list.all()).doesNotContain(value);

    CliProcess.Result again = skiff("secret", "create", "one", "A=other");
    assertThat(again.exitCode()).isEqualTo(1);
    assertThat(again.err())
        .isEqualTo("skiff: secret 'one' already exists; use --force to replace it\n");
    assertThat(skiff("secret", "create", "one", "A=other", "--force").exitCode()).isZero();

    assertThat(skiff("secret", "delete", "one").out()).isEqualTo("deleted secret 'one'\n");
    assertThat(skiff("secret", "list").out()).doesNotContain("one");
    CliProcess.Result missing = skiff("secret", "delete", "one");
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err()).startsWith("skiff: secret 'one' not found");
  }

  @Test
  void createReadsADotenvFileAndRejectsBadInputWithoutWritingAnything() throws IOException {
    Path env = home.resolve("app.env");
    Files.writeString(env, "# comment\nexport TOKEN='abc'\nURL=http://x\n");
    CliProcess.Result ok =
        skiff("secret", "create", "api", "--from-dotenv", env.toString(), "URL=y");
    assertThat(ok.exitCode()).as(ok.err()).isZero();
    assertThat(ok.out()).contains("[TOKEN, URL]");

    CliProcess.Result badKey = skiff("secret", "create", "bad", "SKIFF_X=1");
    assertThat(badKey.exitCode()).isEqualTo(1);
    assertThat(badKey.err()).contains("secret key 'SKIFF_X' is not allowed");
    CliProcess.Result noPair = skiff("secret", "create", "bad", "novalue");
    assertThat(noPair.exitCode()).isEqualTo(2);
    assertThat(noPair.err()).contains("'novalue' is not KEY=VALUE");
    CliProcess.Result badName = skiff("secret", "create", "no/slash", "A=1");
    assertThat(badName.exitCode()).isEqualTo(1);
    assertThat(badName.err()).contains("secret name 'no/slash' is not allowed");
    assertThat(skiff("secret", "list").out().lines().toList()).hasSize(2); // header and 'api'
  }

  @Test
  void aMissingSecretOrRequiredKeyFailsTheRunNamingIt() {
    CliProcess.Result missing = skiff("run", PROBE, "nope", "X");
    assertThat(missing.exitCode()).isNotZero();
    assertThat(missing.err()).contains("secret 'nope'", "not found");
    assertThat(missing.out()).doesNotContain("with:");

    assertThat(skiff("secret", "create", "partial", "USER=u").exitCode()).isZero();
    CliProcess.Result noKey = skiff("run", PROBE, "partial", "USER", "PASSWORD");
    assertThat(noKey.exitCode()).isNotZero();
    assertThat(noKey.err()).contains("secret 'partial' has no key 'PASSWORD'");
    assertThat(noKey.out()).doesNotContain("with:");
  }

  private static void assertNoFileContains(Path root, String value) throws IOException {
    byte[] needle = value.getBytes(StandardCharsets.UTF_8);
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        assertThat(content)
            .as("file %s", f)
            .doesNotContain(new String(needle, StandardCharsets.ISO_8859_1));
      }
    }
  }
}
