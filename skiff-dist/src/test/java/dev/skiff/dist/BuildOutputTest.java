package dev.skiff.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What a user sees of Maven when {@code ./skiff} builds the command line on its first run: that
 * build runs {@code bin/with-jdk mvn -q}, which must print nothing but errors, on every JDK that
 * {@code bin/with-jdk} may pick (JDK 24 and newer warn about Maven's own use of {@code
 * sun.misc.Unsafe} unless told to allow it).
 */
@Tag("e2e")
class BuildOutputTest {
  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

  @Test
  void aQuietBuildThroughWithJdkPrintsNoWarnings() {
    Processes.Result r =
        Processes.run(
            ROOT,
            // Not the options of the Maven that runs this test: the user's shell has none.
            Map.of("MAVEN_OPTS", ""),
            Duration.ofMinutes(2),
            List.of(
                ROOT.resolve("bin/with-jdk").toString(),
                "mvn",
                "-q",
                "-B",
                "-o",
                "-N",
                "validate"));

    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertThat(r.all()).as(r.describe()).doesNotContain("WARNING").doesNotContain("Unsafe");
  }
}
