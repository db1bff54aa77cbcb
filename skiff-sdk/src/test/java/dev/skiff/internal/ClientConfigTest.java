package dev.skiff.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.SkiffException;
import dev.skiff.proto.ListAppsRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
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
}
