package dev.skiff.server;

import dev.skiff.internal.DurableFiles;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The certificate and private key the server presents on its API port and its web gateway: one the
 * operator gave (PEM files), or one the server generated on its first start and keeps in its data
 * directory ({@code tls/cert.pem}, and {@code tls/key.pem} readable by the server's user only).
 * Clients pin the certificate through the client config the server writes.
 *
 * @param key the private key
 * @param chain the certificate first, then any intermediate CA certificates
 */
record ServerCertificate(PrivateKey key, List<X509Certificate> chain) {
  private static final Pattern PEM =
      Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");
  // keytool wants a key store password; the key is written out and the key store deleted at once.
  private static final String PASSWORD = "skiff-generated";

  ServerCertificate {
    chain = List.copyOf(chain);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("a server certificate needs at least one certificate");
    }
  }

  /**
   * Reads an operator's certificate (PEM, the server's first, then intermediates) and private key
   * (PEM, unencrypted PKCS#8: {@code -----BEGIN PRIVATE KEY-----}).
   *
   * @throws IllegalArgumentException if a file is missing or not of that form
   */
  static ServerCertificate read(Path certFile, Path keyFile) {
    List<X509Certificate> chain;
    try (InputStream in = Files.newInputStream(certFile)) {
      chain =
          CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
              .map(X509Certificate.class::cast)
              .toList();
    } catch (IOException e) {
      throw new IllegalArgumentException("--tls-cert " + certFile + " cannot be read: " + e, e);
    } catch (CertificateException e) {
      throw new IllegalArgumentException(
          "--tls-cert " + certFile + " is not a PEM certificate: " + e.getMessage(), e);
    }
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("--tls-cert " + certFile + " holds no PEM certificate");
    }
    return new ServerCertificate(privateKey(keyFile), chain);
  }

  /**
   * The server's own certificate in {@code dir} ({@code cert.pem}, {@code key.pem}): read if it is
   * there and still valid, else generated with the JDK's {@code keytool} (self-signed EC P-256, 10
   * years, for {@code localhost}, {@code 127.0.0.1}, {@code ::1} and {@code hosts}).
   *
   * @throws UncheckedIOException if it cannot be written or keytool fails
   */
  static ServerCertificate generated(Path dir, List<String> hosts) {
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    if (Files.isRegularFile(cert) && Files.isRegularFile(key)) {
      try {
        ServerCertificate existing = read(cert, key);
        existing.certificate().checkValidity();
        if (existing.keyMatchesCertificate()) {
          return existing;
        }
      } catch (CertificateException | IllegalArgumentException e) {
        // Expired, or a pair left unreadable or mismatched by a crash: make a new one below.
      }
    }
    try {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      Path p12 = dir.resolve("generated.p12");
      Files.deleteIfExists(p12);
      runKeytool(p12, hosts);
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(p12)) {
        ks.load(in, PASSWORD.toCharArray());
      }
      Files.delete(p12);
      PrivateKey k = (PrivateKey) ks.getKey("skiff", PASSWORD.toCharArray());
      X509Certificate c = (X509Certificate) ks.getCertificate("skiff");
      // Each file complete or not there at all, even after a crash of the machine: written aside,
      // forced to disk, then renamed, the key first.
      Path keyNew = dir.resolve("key.pem.new");
      Path certNew = dir.resolve("cert.pem.new");
      writePrivate(keyNew, pem("PRIVATE KEY", k.getEncoded()));
      Files.deleteIfExists(certNew);
      Files.writeString(certNew, pem("CERTIFICATE", c.getEncoded()));
      DurableFiles.moveIntoPlace(keyNew, key);
      DurableFiles.moveIntoPlace(certNew, cert);
      return new ServerCertificate(k, List.of(c));
    } catch (IOException e) {
      throw new UncheckedIOException(
          "could not make the server's certificate in " + dir + ": " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(
          "could not make the server's certificate in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Whether the private key is the one of the certificate: a signature made with it verifies. */
  boolean keyMatchesCertificate() {
    try {
      String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
      byte[] probe = "skiff".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certificate().getPublicKey());
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** The server's own certificate. */
  X509Certificate certificate() {
    return chain.getFirst();
  }

  /** The server's certificate as PEM, as clients pin it. */
  String certificatePem() {
    try {
      return pem("CERTIFICATE", certificate().getEncoded());
    } catch (CertificateException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The SHA-256 fingerprint of the server's certificate, {@code AB:CD:...}. */
  String fingerprint() {
    try {
      return HexFormat.ofDelimiter(":")
          .withUpperCase()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(certificate().getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The TLS context of the gRPC server. */
  SslContext grpc() {
    try {
      return GrpcSslContexts.configure(
              SslContextBuilder.forServer(key, chain.toArray(X509Certificate[]::new)),
              SslProvider.JDK)
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("could not set up TLS with the server's certificate", e);
    }
  }

  /** The TLS context of the web gateway. */
  SSLContext jdk() {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("skiff", key, PASSWORD.toCharArray(), chain.toArray(Certificate[]::new));
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, PASSWORD.toCharArray());
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, null);
      return ctx;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("could not set up TLS with the server's certificate", e);
    }
  }

  private static void runKeytool(Path p12, List<String> hosts) throws IOException {
    Set<String> san = new LinkedHashSet<>(List.of("dns:localhost", "ip:127.0.0.1", "ip:::1"));
    for (String h : hosts) {
      san.add((h.matches("[0-9.]+") || h.contains(":") ? "ip:" : "dns:") + h);
    }
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    List<String> command =
        List.of(
            keytool.toString(),
            "-genkeypair",
            "-alias",
            "skiff",
            "-keyalg",
            "EC",
            "-groupname",
            "secp256r1",
            "-sigalg",
            "SHA256withECDSA",
            "-validity",
            "3650",
            "-dname",
            "CN=Skiff server",
            "-ext",
            "san=" + String.join(",", san),
            "-keystore",
            p12.toString(),
            "-storetype",
            "PKCS12",
            "-storepass",
            PASSWORD);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(keytool + " -genkeypair ran longer than 60 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted while " + keytool + " ran", e);
    }
    if (p.exitValue() != 0) {
      throw new IOException(keytool + " -genkeypair failed (exit " + p.exitValue() + "): " + out);
    }
  }

  /** Writes a file that only its owner can read, from its creation on. */
  private static void writePrivate(Path file, String text) throws IOException {
    Files.deleteIfExists(file);
    try {
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(file);
    } catch (FileAlreadyExistsException e) {
      throw new IOException(file + " appeared while it was being written", e);
    }
    Files.writeString(file, text);
  }

  private static PrivateKey privateKey(Path keyFile) {
    String text;
    try {
      text = Files.readString(keyFile, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalArgumentException("--tls-key " + keyFile + " cannot be read: " + e, e);
    }
    Matcher m = PEM.matcher(text);
    if (!m.find()) {
      throw new IllegalArgumentException("--tls-key " + keyFile + " holds no PEM private key");
    }
    if (!m.group(1).equals("PRIVATE KEY")) {
      throw new IllegalArgumentException(
          "--tls-key "
              + keyFile
              + " holds a '"
              + m.group(1)
              + "'; give an unencrypted PKCS#8"
              + " key (-----BEGIN PRIVATE KEY-----), e.g. made with: openssl pkcs8 -topk8 -nocrypt"
              + " -in "
              + keyFile
              + " -out key.pem");
    }
    byte[] der = Base64.getMimeDecoder().decode(m.group(2));
    for (String algorithm : List.of("EC", "RSA", "Ed25519", "Ed448")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // Try the next algorithm.
      }
    }
    throw new IllegalArgumentException(
        "--tls-key " + keyFile + " is not an EC, RSA or EdDSA PKCS#8 private key");
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
