package dev.skiff.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A self-signed certificate made with the JDK's {@code keytool}, as an operator (or an attacker)
 * would make one: a PKCS#12 key store and the same certificate and key as PEM files.
 *
 * @param keyStore the PKCS#12 key store (password {@link #PASSWORD})
 * @param certificate the certificate, PEM
 * @param key the private key, PKCS#8 PEM
 */
record Keytool(Path keyStore, Path certificate, Path key) {
  static final String PASSWORD = "changeit";

  /** Makes a certificate for {@code 127.0.0.1} and {@code localhost} named {@code CN=cn} in dir. */
  static Keytool generate(Path dir, String cn) {
    Path p12 = dir.resolve(cn + ".p12");
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    List<String> command =
        List.of(
            keytool.toString(),
            "-genkeypair",
            "-alias",
            "server",
            "-keyalg",
            "EC",
            "-groupname",
            "secp256r1",
            "-validity",
            "30",
            "-dname",
            "CN=" + cn,
            "-ext",
            "san=ip:127.0.0.1,dns:localhost",
            "-keystore",
            p12.toString(),
            "-storetype",
            "PKCS12",
            "-storepass",
            PASSWORD);
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("keytool failed: " + out);
      }
      KeyStore ks = load(p12);
      Certificate cert = ks.getCertificate("server");
      PrivateKey key = (PrivateKey) ks.getKey("server", PASSWORD.toCharArray());
      Path certPem = dir.resolve(cn + ".crt");
      Path keyPem = dir.resolve(cn + ".key");
      Files.writeString(certPem, pem("CERTIFICATE", cert.getEncoded()));
      Files.writeString(keyPem, pem("PRIVATE KEY", key.getEncoded()));
      return new Keytool(p12, certPem, keyPem);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A TLS context that presents this certificate. */
  SSLContext serverContext() {
    try {
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(load(keyStore), PASSWORD.toCharArray());
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, null);
      return ctx;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyStore load(Path p12) throws IOException, GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(p12)) {
      ks.load(in, PASSWORD.toCharArray());
    }
    return ks;
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }
}
