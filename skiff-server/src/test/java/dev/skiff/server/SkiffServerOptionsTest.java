package dev.skiff.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.server.runtime.ControlPlaneConfig.LogRate;
import dev.skiff.server.web.WebLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server's command line. */
class SkiffServerOptionsTest {
  private static final SkiffServer.Options DEFAULTS =
      new SkiffServer.Options(
          Path.of("/d"), "127.0.0.1", 7733, 7734, Duration.ofDays(7), Path.of("/c.json"));

  @Test
  void optionsOverrideTheDefaults() {
    SkiffServer.Options o =
        SkiffServer.parse(
            new String[] {
              "--data-dir", "/x", "--port", "0", "--web-port", "9000", "--result-retention", "12h"
            },
            DEFAULTS);
    assertThat(o.dataDir()).isEqualTo(Path.of("/x"));
    assertThat(o.port()).isZero();
    assertThat(o.webPort()).isEqualTo(9000);
    assertThat(o.retention()).isEqualTo(Duration.ofHours(12));
    assertThat(o.host()).isEqualTo("127.0.0.1");
    assertThat(SkiffServer.parse(new String[] {"--help"}, DEFAULTS)).isNull();
  }

  @Test
  void theContainerPortIsOffUnlessGiven() {
    assertThat(DEFAULTS.containerPort()).isZero();
    assertThat(SkiffServer.parse(new String[] {}, DEFAULTS).containerPort()).isZero();
    assertThat(
            SkiffServer.parse(new String[] {"--container-port", "7735"}, DEFAULTS).containerPort())
        .isEqualTo(7735);
    assertThatThrownBy(
            () -> SkiffServer.parse(new String[] {"--container-port", "70000"}, DEFAULTS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--container-port 70000 is not a port (0..65535)");
  }

  @Test
  void metricsAreOpenUnlessATokenFileIsGivenWhoseFirstLineIsTheToken(@TempDir Path dir)
      throws Exception {
    assertThat(SkiffServer.metricsToken(DEFAULTS)).isEmpty();
    Path file = dir.resolve("metrics-token");
    Files.writeString(file, "  s3cret \nignored\n");
    SkiffServer.Options o =
        SkiffServer.parse(new String[] {"--metrics-token-file", file.toString()}, DEFAULTS);
    assertThat(o.metricsTokenFile()).contains(file);
    assertThat(SkiffServer.metricsToken(o)).contains("s3cret");
    Files.writeString(file, "\n");
    assertThatThrownBy(() -> SkiffServer.metricsToken(o))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--metrics-token-file " + file + " holds no token: its first line is empty");
  }

  @Test
  void containerJvmOptionsAreSplitAtSpacesAndChecked() {
    assertThat(DEFAULTS.containerJvmOptions()).isEmpty();
    assertThat(
            SkiffServer.parse(
                    new String[] {"--container-jvm-options", " -XX:+UseZGC  -Xss2m "}, DEFAULTS)
                .containerJvmOptions())
        .containsExactly("-XX:+UseZGC", "-Xss2m");
    assertThatThrownBy(
            () ->
                SkiffServer.parse(
                    new String[] {"--container-jvm-options", "-Xss2m -cp /tmp/evil"}, DEFAULTS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "container JVM option '-cp' is not allowed; allowed are JVM options that start with"
                + " '-', other than -cp, -classpath, --class-path, -jar, -m, --module, --source,"
                + " -version");
    for (String refused :
        new String[] {"--module=x", "--class-path=/tmp", "-version", "--dry-run"}) {
      assertThatThrownBy(
              () -> SkiffServer.parse(new String[] {"--container-jvm-options", refused}, DEFAULTS))
          .hasMessageStartingWith("container JVM option '" + refused + "' is not allowed");
    }
  }

  @Test
  void theWarmPoolCapDefaultsToFourAndTakesZeroToSixtyFour() {
    assertThat(DEFAULTS.maxWarmContainers()).isEqualTo(4);
    assertThat(
            SkiffServer.parse(new String[] {"--max-warm-containers", "0"}, DEFAULTS)
                .maxWarmContainers())
        .isZero();
    assertThat(
            SkiffServer.parse(new String[] {"--max-warm-containers", "64"}, DEFAULTS)
                .maxWarmContainers())
        .isEqualTo(64);
    for (String bad : new String[] {"-1", "65", "many"}) {
      assertThatThrownBy(
              () -> SkiffServer.parse(new String[] {"--max-warm-containers", bad}, DEFAULTS))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "--max-warm-containers "
                  + bad
                  + " is not a number of containers (0..64; 0 turns the warm pool off)");
    }
  }

  @Test
  void appLeaseDefaultsToThirtySecondsAndTakesOneSecondToOneHour() {
    assertThat(DEFAULTS.appLease()).isEqualTo(Duration.ofSeconds(30));
    assertThat(SkiffServer.parse(new String[] {"--app-lease", "3s"}, DEFAULTS).appLease())
        .isEqualTo(Duration.ofSeconds(3));
    assertThat(SkiffServer.parse(new String[] {"--app-lease", "1h"}, DEFAULTS).appLease())
        .isEqualTo(Duration.ofHours(1));
    for (String bad : new String[] {"0s", "PT0.5S", "2h"}) {
      assertThatThrownBy(() -> SkiffServer.parse(new String[] {"--app-lease", bad}, DEFAULTS))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "--app-lease "
                  + bad
                  + " is outside the allowed 1s..1h (the default is 30s): an ephemeral app whose"
                  + " client stops renewing is stopped after this long");
    }
    assertThatThrownBy(() -> SkiffServer.parse(new String[] {"--app-lease", "soon"}, DEFAULTS))
        .hasMessage("--app-lease soon is not a duration; use e.g. 7d, 12h, 30m, 90s or PT1H");
  }

  @Test
  void retentionTakesShortFormsAndIsoDurations() {
    assertThat(SkiffServer.retention("7d")).isEqualTo(Duration.ofDays(7));
    assertThat(SkiffServer.retention("30m")).isEqualTo(Duration.ofMinutes(30));
    assertThat(SkiffServer.retention("90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(SkiffServer.retention("PT2H")).isEqualTo(Duration.ofHours(2));
  }

  @Test
  void theBackendIsChosenByNameAndAnUnknownOneIsRefusedListingTheAvailable() {
    assertThat(SkiffServer.parse(new String[] {}, DEFAULTS).backend()).isEqualTo("local");
    // "plain" is a test-only backend, registered in the test resources' META-INF/services.
    assertThat(SkiffServer.parse(new String[] {"--backend", "plain"}, DEFAULTS).backend())
        .isEqualTo("plain");
    assertThatThrownBy(() -> SkiffServer.parse(new String[] {"--backend", "nomad"}, DEFAULTS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown container backend 'nomad'; available: local, plain");
  }

  @Test
  void badValuesSayWhatIsAllowed() {
    assertThatThrownBy(() -> SkiffServer.parse(new String[] {"--port", "70000"}, DEFAULTS))
        .hasMessage("--port 70000 is not a port (0..65535)");
    assertThatThrownBy(() -> SkiffServer.parse(new String[] {"--bogus", "1"}, DEFAULTS))
        .hasMessageContaining("unknown option --bogus; allowed: --data-dir");
    assertThatThrownBy(() -> SkiffServer.parse(new String[] {"--port"}, DEFAULTS))
        .hasMessageContaining("missing value: --port");
    assertThatThrownBy(() -> SkiffServer.retention("0s")).hasMessageContaining("less than 1 s");
  }

  @Test
  void tlsIsOnByDefaultAndTheFlagsChooseTheCertificateOrNone() {
    assertThat(SkiffServer.parse(new String[] {}, DEFAULTS).transport())
        .isEqualTo(new SkiffServer.Transport.GeneratedCertificate());
    assertThat(
            SkiffServer.parse(
                    new String[] {"--tls-cert", "/c.pem", "--tls-key", "/k.pem"}, DEFAULTS)
                .transport())
        .isEqualTo(
            new SkiffServer.Transport.GivenCertificate(Path.of("/c.pem"), Path.of("/k.pem")));
    assertThat(SkiffServer.parse(new String[] {"--plaintext"}, DEFAULTS).transport())
        .isEqualTo(new SkiffServer.Transport.Plaintext());
    assertThatThrownBy(() -> SkiffServer.parse(new String[] {"--tls-cert", "/c.pem"}, DEFAULTS))
        .hasMessage(
            "--tls-cert needs --tls-key: give both, the certificate (PEM) and its private key (PEM,"
                + " PKCS#8)");
    assertThatThrownBy(
            () ->
                SkiffServer.parse(
                    new String[] {"--plaintext", "--tls-cert", "/c", "--tls-key", "/k"}, DEFAULTS))
        .hasMessage("--plaintext turns TLS off, so --tls-cert and --tls-key cannot go with it");
  }

  @Test
  void theLimitsHaveDocumentedDefaultsAndEachOptionSetsOne() {
    WebLimits web = new WebLimits(256, 4096, Duration.ofSeconds(30), Duration.ofSeconds(30));
    assertThat(DEFAULTS.limits())
        .isEqualTo(new ServerLimits(64, 256, 16384, 2048, 4096, 1000, web));
    assertThat(
            SkiffServer.parse(
                    new String[] {
                      "--max-message-mib", "32",
                      "--max-blob-mib", "100",
                      "--blob-quota-mib", "1000",
                      "--container-memory-mib", "0",
                      "--container-pids", "512",
                      "--log-rate", "50",
                      "--web-max-buffered-mib", "16",
                      "--web-max-connections", "100",
                      "--web-idle-timeout", "5s",
                      "--web-read-timeout", "2m"
                    },
                    DEFAULTS)
                .limits())
        .isEqualTo(
            new ServerLimits(
                32,
                100,
                1000,
                0,
                512,
                50,
                new WebLimits(16, 100, Duration.ofSeconds(5), Duration.ofMinutes(2))));
    assertThatThrownBy(() -> SkiffServer.parse(new String[] {"--max-message-mib", "0"}, DEFAULTS))
        .hasMessage("--max-message-mib is 0; allowed is 1..1024");
    assertThatThrownBy(() -> SkiffServer.parse(new String[] {"--container-pids", "x"}, DEFAULTS))
        .hasMessage("--container-pids x is not a whole number");
    assertThatThrownBy(() -> SkiffServer.parse(new String[] {"--web-read-timeout", "2h"}, DEFAULTS))
        .hasMessage("--web-read-timeout is 7200s; allowed is 1s..1h (the default is 30s)");
    assertThatThrownBy(
            () -> SkiffServer.parse(new String[] {"--web-max-buffered-mib", "0"}, DEFAULTS))
        .hasMessage("--web-max-buffered-mib is 0; allowed is 1..1048576");
  }

  @Test
  void theLogRateIsLinesPerSecondPerContainerWithBurstsOfTwiceAsMany() {
    assertThat(DEFAULTS.limits().logRate()).isEqualTo(LogRate.DEFAULT);
    assertThat(SkiffServer.parse(new String[] {"--log-rate", "50"}, DEFAULTS).limits().logRate())
        .isEqualTo(new LogRate(50, 100));
    assertThat(
            SkiffServer.parse(new String[] {"--log-rate", "1000000"}, DEFAULTS).limits().logRate())
        .isEqualTo(new LogRate(1_000_000, 2_000_000));
    String allowed =
        "; allowed is 1..1000000 lines per second per container (the default is 1000; lines"
            + " beyond it are dropped and counted)";
    assertThatThrownBy(() -> SkiffServer.parse(new String[] {"--log-rate", "0"}, DEFAULTS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--log-rate is 0" + allowed);
    assertThatThrownBy(() -> SkiffServer.parse(new String[] {"--log-rate", "1000001"}, DEFAULTS))
        .hasMessage("--log-rate is 1000001" + allowed);
    assertThatThrownBy(
            () -> SkiffServer.parse(new String[] {"--log-rate", "99999999999"}, DEFAULTS))
        .hasMessage("--log-rate is 99999999999" + allowed);
    assertThatThrownBy(() -> SkiffServer.parse(new String[] {"--log-rate", "fast"}, DEFAULTS))
        .hasMessage("--log-rate fast is not a whole number");
  }
}
