package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.RemoteFunction;
import dev.skiff.SkiffException;
import dev.skiff.internal.ClientConfig;
import dev.skiff.internal.ServerTrust;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.ListAppsRequest;
import dev.skiff.testing.ServerProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The long-running server's transport: clients verify the server's certificate before they send
 * their token, and the server is TLS off loopback.
 */
@Tag("e2e")
class TransportSecurityTest {
  @TempDir Path temp;

  @Test
  void deployCallsAndWebEndpointsWorkOverTlsWithTheGeneratedCertificate() throws Exception {
    try (ServerProcess server = ServerProcess.start()) {
      Path tls = server.dataDir().resolve("tls");
      assertThat(Files.getPosixFilePermissions(tls.resolve("key.pem")))
          .containsExactlyInAnyOrder(
              PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
      ClientConfig config = server.clientConfig();
      assertThat(config.trust()).isInstanceOf(ServerTrust.Pinned.class);
      assertThat(((ServerTrust.Pinned) config.trust()).certificate().getEncoded())
          .isEqualTo(
              ServerTrust.pinned(Files.readString(tls.resolve("cert.pem")), "x")
                  .certificate()
                  .getEncoded());
      assertThat(server.output()).contains("TLS certificate SHA-256 ");
      assertThat(server.webBaseUrl()).startsWith("https://127.0.0.1:");
      server.useInThisJvm();

      DeployedFns.app.deploy();

      assertThat(RemoteFunction.fromName("durable", "square", Integer.class).remote(6))
          .isEqualTo(36);
      assertThat(
              server.runJava(Duration.ofMinutes(2), ServerClients.class.getName(), "square", "7"))
          .contains("square=49");
      String url = DeployedFns.greet.webUrl() + "?name=tls";
      assertThat(url).startsWith(server.webBaseUrl());
      HttpResponse<String> r = get(url, server.sslContext());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("\"Hello, tls!\"");
      // A browser-like client that trusts only the system's CAs does not accept the certificate.
      assertThatThrownBy(() -> get(url, SSLContext.getDefault()))
          .isInstanceOf(SSLHandshakeException.class);
    }
  }

  @Test
  void anOperatorsCertificateIsServedAndPinned() throws Exception {
    Keytool operator = Keytool.generate(temp, "operator");
    try (ServerProcess server =
        ServerProcess.start(
            "--tls-cert", operator.certificate().toString(),
            "--tls-key", operator.key().toString())) {
      ClientConfig config = server.clientConfig();
      assertThat(
              ((ServerTrust.Pinned) config.trust())
                  .certificate()
                  .getSubjectX500Principal()
                  .getName())
          .isEqualTo("CN=operator");
      assertThat(server.dataDir().resolve("tls")).doesNotExist();
      // Pinned, as the config says; and as a CA file (SKIFF_TLS_CA), with the host name checked.
      for (ServerTrust trust :
          List.of(
              config.trust(),
              new ServerTrust.Authorities(Optional.of(operator.certificate()), "SKIFF_TLS_CA"))) {
        try (SkiffClient c = SkiffClient.connect(config.server(), config.token(), trust)) {
          assertThat(c.blocking().listApps(ListAppsRequest.getDefaultInstance()).getAppsList())
              .isEmpty();
        }
        HttpResponse<String> r = get(server.webBaseUrl() + "/nothing/here", trust.sslContext());
        assertThat(r.statusCode()).isEqualTo(404);
      }
    }
  }

  @Test
  void aPlaintextClientToTheTlsPortFailsClearly() {
    try (ServerProcess server = ServerProcess.start()) {
      ClientConfig config = server.clientConfig();
      try (SkiffClient plain =
          SkiffClient.connect(
              config.server(), config.token(), new ServerTrust.Plaintext("SKIFF_TLS=off"))) {
        assertThatThrownBy(
                () -> {
                  try {
                    plain.blocking().listApps(ListAppsRequest.getDefaultInstance());
                  } catch (RuntimeException e) {
                    throw plain.translate(e);
                  }
                })
            .isInstanceOf(SkiffException.class)
            .hasMessageStartingWith(
                "the Skiff control plane at " + config.server() + " is unavailable: ")
            .hasMessageEndingWith(
                " (this client does not use TLS: SKIFF_TLS=off; a server with TLS hangs up on it)");
      }
    }
  }

  @Test
  void aServerOffLoopbackWithoutTlsIsRefused() {
    assertThatThrownBy(() -> ServerProcess.start("--host", "0.0.0.0", "--plaintext"))
        .hasMessageContaining(
            "skiff server: --host 0.0.0.0 is not a loopback address, and --plaintext turns TLS"
                + " off: a server that other machines can reach must use TLS. Drop --plaintext (the"
                + " server then uses a certificate it generates in ")
        .hasMessageContaining("/data/tls), or give --tls-cert FILE --tls-key FILE");
    // Nor does a client send its token without TLS to a host off loopback.
    assertThatThrownBy(
            () ->
                SkiffClient.connect(
                    "192.0.2.1:7733", "t", new ServerTrust.Plaintext("SKIFF_TLS=off")))
        .isInstanceOf(SkiffException.class)
        .hasMessage(
            "refusing to send the token to 192.0.2.1:7733 without TLS (SKIFF_TLS=off): only a"
                + " server on loopback may be reached without TLS; use TLS (drop SKIFF_TLS=off, or"
                + " \"tls\": false from the client config)");
  }

  private static HttpResponse<String> get(String url, SSLContext ssl) throws Exception {
    try (HttpClient http = HttpClient.newBuilder().sslContext(ssl).build()) {
      return http.send(
          HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
  }

  @Test
  void aClientNeverSendsItsTokenToAPlaintextImpostorOnTheServersPort() {
    try (ServerProcess server = ServerProcess.start()) {
      String token = server.clientConfig().token();
      int port = Integer.parseInt(server.target().substring(server.target().lastIndexOf(':') + 1));
      server.stop(); // the real server is down; an impostor takes its port

      String out;
      try (Impostor impostor = Impostor.plaintext(port)) {
        out = server.runJava(Duration.ofMinutes(2), ServerClients.class.getName(), "square", "7");
        assertThat(impostor.received()).doesNotContain(token);
      }

      assertThat(out)
          .contains(
              "failed: the Skiff server at "
                  + server.target()
                  + " did not complete a TLS"
                  + " handshake, so it was sent nothing");
    }
  }

  @Test
  void aClientNeverSendsItsTokenToATlsImpostorWithAnotherCertificate() {
    Keytool other = Keytool.generate(temp, "impostor");
    try (ServerProcess server = ServerProcess.start()) {
      String token = server.clientConfig().token();
      int port = Integer.parseInt(server.target().substring(server.target().lastIndexOf(':') + 1));
      server.stop();

      String out;
      try (Impostor impostor = Impostor.tls(port, other.serverContext())) {
        out = server.runJava(Duration.ofMinutes(2), ServerClients.class.getName(), "square", "7");
        assertThat(impostor.received()).doesNotContain(token);
      }

      assertThat(out)
          .contains(
              "failed: the Skiff server at "
                  + server.target()
                  + " is not trusted, so it was sent"
                  + " nothing: its certificate (CN=impostor, SHA-256 ")
          .contains(
              ") is not the one pinned in " + server.home().resolve("config.json") + " (SHA-256 ");
    }
  }
}
