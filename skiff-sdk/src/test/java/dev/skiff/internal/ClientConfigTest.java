package dev.skiff.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.SkiffException;
import dev.skiff.proto.ListAppsRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which server and token a client uses when the environment and the config file both name one. */
class ClientConfigTest {
  @TempDir Path home;

  private Path file() {
    Path file = home.resolve("config.json");
    ClientConfig.write(file, "127.0.0.1:7733", "file-token", Optional.empty());
    return file;
  }

  @Test
  void theFileAloneGivesServerAndTokenNamingItselfAsTheSource() {
    Path file = file();
    ClientConfig c = ClientConfig.resolve(Map.of(), file).orElseThrow();
    assertThat(c.server()).isEqualTo("127.0.0.1:7733");
    assertThat(c.token()).isEqualTo("file-token");
    assertThat(c.serverSource()).isEqualTo(file.toString());
    assertThat(c.tokenSource()).isEqualTo(file.toString());
    assertThat(ClientConfig.resolve(Map.of(), home.resolve("none.json"))).isEmpty();
  }

  @Test
  void skiffTokenAloneReplacesTheTokenOfTheConfiguredServer() {
    Path file = file();
    ClientConfig c = ClientConfig.resolve(Map.of("SKIFF_TOKEN", "bad"), file).orElseThrow();
    assertThat(c.server()).isEqualTo("127.0.0.1:7733");
    assertThat(c.token()).isEqualTo("bad");
    assertThat(c.serverSource()).isEqualTo(file.toString());
    assertThat(c.tokenSource()).isEqualTo("the SKIFF_TOKEN environment variable");
    // The file's trust still verifies the file's server.
    assertThat(c.trust()).isInstanceOf(ServerTrust.Plaintext.class);
  }

  @Test
  void skiffTokenAloneWithoutAFileIsRefused() {
    assertThatThrownBy(
            () -> ClientConfig.resolve(Map.of("SKIFF_TOKEN", "t"), home.resolve("config.json")))
        .isInstanceOf(SkiffException.class)
        .hasMessage(
            "SKIFF_TOKEN is set but no server is configured: set SKIFF_SERVER too, or start one"
                + " with 'skiff server' (it writes "
                + home.resolve("config.json")
                + ")");
  }

  @Test
  void skiffServerAloneForAnotherServerNeverTakesTheFilesToken() {
    Path file = file();
    assertThatThrownBy(() -> ClientConfig.resolve(Map.of("SKIFF_SERVER", "10.1.2.3:7733"), file))
        .isInstanceOf(SkiffException.class)
        .hasMessage(
            "SKIFF_SERVER is set to '10.1.2.3:7733' but SKIFF_TOKEN is not, and the token in "
                + file
                + " is for the server at 127.0.0.1:7733, so it is not sent to another: set"
                + " SKIFF_TOKEN to the token of 10.1.2.3:7733, or unset SKIFF_SERVER");
    assertThatThrownBy(
            () ->
                ClientConfig.resolve(
                    Map.of("SKIFF_SERVER", "10.1.2.3:7733"), home.resolve("none.json")))
        .isInstanceOf(SkiffException.class)
        .hasMessageContaining("SKIFF_SERVER is set to '10.1.2.3:7733' but SKIFF_TOKEN is not");
  }

  @Test
  void skiffServerAloneForTheFilesServerUsesTheFilesToken() {
    Path file = file();
    ClientConfig c =
        ClientConfig.resolve(Map.of("SKIFF_SERVER", "127.0.0.1:7733"), file).orElseThrow();
    assertThat(c.token()).isEqualTo("file-token");
    assertThat(c.serverSource()).isEqualTo("the SKIFF_SERVER environment variable");
    assertThat(c.tokenSource()).isEqualTo(file.toString());
  }

  @Test
  void bothVariablesOverrideTheFile() {
    Path file = file();
    ClientConfig c =
        ClientConfig.resolve(
                Map.of("SKIFF_SERVER", "127.0.0.1:9999", "SKIFF_TOKEN", "t", "SKIFF_TLS", "off"),
                file)
            .orElseThrow();
    assertThat(c.server()).isEqualTo("127.0.0.1:9999");
    assertThat(c.token()).isEqualTo("t");
    assertThat(c.serverSource()).isEqualTo("the SKIFF_SERVER environment variable");
    assertThat(c.tokenSource()).isEqualTo("the SKIFF_TOKEN environment variable");
    assertThat(c.trust()).isEqualTo(new ServerTrust.Plaintext("SKIFF_TLS=off"));
  }

  @Test
  void aDownServerIsNamedWithWhereItsAddressCameFromAndHowToStartIt() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path file = home.resolve("config.json");
    ClientConfig.write(file, "127.0.0.1:" + port, "t", Optional.empty());
    ClientConfig c = ClientConfig.resolve(Map.of(), file).orElseThrow();
    try (SkiffClient client = SkiffClient.connect(c)) {
      assertThatThrownBy(
              () ->
                  client
                      .blocking()
                      .withDeadlineAfter(30, TimeUnit.SECONDS)
                      .listApps(ListAppsRequest.getDefaultInstance()))
          .satisfies(
              t ->
                  assertThat(client.translate(t))
                      .hasMessageStartingWith(
                          "the Skiff server at 127.0.0.1:"
                              + port
                              + " (address from "
                              + file
                              + ") is unavailable: ")
                      .hasMessageContaining("Connection refused")
                      .hasMessageContaining("start it with 'skiff server', or check the address"));
    }
  }

  @Test
  void severalReplicasAreOneServerInTheFileAndInSkiffServer() throws IOException {
    Path file = home.resolve("config.json");
    ClientConfig.write(file, "10.0.0.1:7733,10.0.0.2:7733", "file-token", Optional.empty());
    ClientConfig fromFile = ClientConfig.resolve(Map.of(), file).orElseThrow();
    assertThat(fromFile.servers()).containsExactly("10.0.0.1:7733", "10.0.0.2:7733");

    // The same replicas in another order (and spacing) are the file's server: its token is used.
    ClientConfig named =
        ClientConfig.resolve(Map.of("SKIFF_SERVER", "10.0.0.2:7733, 10.0.0.1:7733"), file)
            .orElseThrow();
    assertThat(named.token()).isEqualTo("file-token");
    assertThat(named.servers()).containsExactly("10.0.0.2:7733", "10.0.0.1:7733");
    // A list with another server is not.
    assertThatThrownBy(
            () -> ClientConfig.resolve(Map.of("SKIFF_SERVER", "10.0.0.1:7733,10.0.0.3:7733"), file))
        .hasMessageContaining("so it is not sent to another");

    ClientConfig both =
        ClientConfig.resolve(
                Map.of("SKIFF_SERVER", "a.example:7733,b.example:7734", "SKIFF_TOKEN", "t"), file)
            .orElseThrow();
    assertThat(both.servers()).containsExactly("a.example:7733", "b.example:7734");
  }

  @Test
  void aBadListOfServersIsRefusedNamingTheEntry() {
    Path file = file();
    assertThatThrownBy(
            () ->
                ClientConfig.resolve(
                    Map.of("SKIFF_SERVER", "a:7733,,b:7733", "SKIFF_TOKEN", "t"), file))
        .isInstanceOf(SkiffException.class)
        .hasMessage(
            "the server address 'a:7733,,b:7733' (from the SKIFF_SERVER environment variable) is"
                + " not valid: entry 2 is empty; give host:port, or several replicas' addresses"
                + " separated by commas (host1:7733,host2:7733), each once");
    assertThatThrownBy(
            () ->
                ClientConfig.resolve(
                    Map.of("SKIFF_SERVER", "a:7733,b:77777", "SKIFF_TOKEN", "t"), file))
        .hasMessageContaining("'b:77777' has port '77777'; a port is 1 to 65535");
    assertThatThrownBy(
            () ->
                ClientConfig.resolve(Map.of("SKIFF_SERVER", "a:7733,b", "SKIFF_TOKEN", "t"), file))
        .hasMessageContaining("'b' is not host:port");
    assertThatThrownBy(
            () ->
                ClientConfig.resolve(
                    Map.of("SKIFF_SERVER", "a:7733, a:7733", "SKIFF_TOKEN", "t"), file))
        .hasMessageContaining("'a:7733' is given twice");
    assertThatThrownBy(
            () ->
                ClientConfig.resolve(
                    Map.of("SKIFF_SERVER", "unix:/run/s.sock,a:7733", "SKIFF_TOKEN", "t"), file))
        .hasMessageContaining("a unix: socket ('unix:/run/s.sock') must be the only address");

    Path bad = home.resolve("bad.json");
    ClientConfig.write(bad, "a:7733,a:7733", "t", Optional.empty());
    assertThatThrownBy(() -> ClientConfig.resolve(Map.of(), bad))
        .hasMessageContaining("(from " + bad + ")")
        .hasMessageContaining("'a:7733' is given twice");
  }

  @Test
  void theRetryBudgetIsReadFromTheEnvironmentAndCheckedEagerly() {
    assertThat(UnavailableRetry.budget(Map.of())).isEqualTo(UnavailableRetry.DEFAULT_BUDGET);
    assertThat(UnavailableRetry.budget(Map.of("SKIFF_FAILOVER_TIMEOUT", "5")))
        .isEqualTo(Duration.ofSeconds(5));
    assertThatThrownBy(() -> UnavailableRetry.budget(Map.of("SKIFF_FAILOVER_TIMEOUT", "5s")))
        .isInstanceOf(SkiffException.class)
        .hasMessage(
            "SKIFF_FAILOVER_TIMEOUT='5s' is not allowed: give how long a call is retried while the"
                + " server's replicas are unavailable, in whole seconds from 0 (no retries) to"
                + " 3600; the default is 30");
  }

  @Test
  void plaintextToAReplicaOffLoopbackIsRefused() {
    assertThatThrownBy(
            () ->
                SkiffClient.connect(
                    "127.0.0.1:7733,10.1.2.3:7733",
                    "t",
                    new ServerTrust.Plaintext("SKIFF_TLS=off")))
        .isInstanceOf(SkiffException.class)
        .hasMessageStartingWith("refusing to send the token to 10.1.2.3:7733 without TLS");
  }
}
