package dev.skiff.internal;

import dev.skiff.SkiffException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * How a client decides that it talks to the real Skiff server before it sends its token: a TLS
 * handshake with a certificate this client trusts completes before any call (and so any token)
 * leaves it.
 *
 * <ul>
 *   <li>{@link Pinned}: exactly the certificates pinned (the one the server wrote into its client
 *       config, or one per replica of a server with several addresses); the host name is not
 *       checked, since the certificate itself is the identity.
 *   <li>{@link Authorities}: certificates signed by the CAs of a PEM file ({@code SKIFF_TLS_CA}),
 *       or by the JDK's system trust store; the host name must match the certificate.
 *   <li>{@link Plaintext}: no TLS, for a server on loopback only (an embedded control plane, or a
 *       server started with {@code --plaintext}).
 * </ul>
 */
public sealed interface ServerTrust {
  /** The environment variable naming a PEM file of certificates (CAs or the server's own). */
  String CA_VARIABLE = "SKIFF_TLS_CA";

  /** The environment variable that, set to {@code off}, turns TLS off for {@code SKIFF_SERVER}. */
  String TLS_VARIABLE = "SKIFF_TLS";

  /** Where this trust came from, for messages (e.g. the config file's path). */
  String source();

  /**
   * Trusts exactly these certificates: one server's, or one per replica of a server with several
   * ({@code SKIFF_SERVER=host1:7733,host2:7733}); any replica may present any of them, since all of
   * them are the same server (one database, one token).
   *
   * @param certificates the servers' certificates, at least one
   * @param source where they were pinned, e.g. the client config's path
   */
  record Pinned(List<X509Certificate> certificates, String source) implements ServerTrust {
    /** Pins one certificate. */
    public Pinned(X509Certificate certificate, String source) {
      this(List.of(certificate), source);
    }

    /** Copies the list. */
    public Pinned {
      certificates = List.copyOf(certificates);
      if (certificates.isEmpty()) {
        throw new IllegalArgumentException("no certificate to pin from " + source);
      }
    }

    /** The first pinned certificate (the only one of a single server). */
    public X509Certificate certificate() {
      return certificates.get(0);
    }
  }

  /**
   * Trusts certificates signed by the CAs (or equal to the certificates) of a PEM file, or by the
   * system trust store when none is given.
   *
   * @param caFile the PEM file; empty for the system trust store
   * @param source where the choice came from
   */
  record Authorities(Optional<Path> caFile, String source) implements ServerTrust {}

  /**
   * No TLS: only for a server on loopback.
   *
   * @param source where the choice came from
   */
  record Plaintext(String source) implements ServerTrust {}

  /** No TLS, for a control plane on loopback that this program started (or a test fixture). */
  static ServerTrust plaintext() {
    return new Plaintext("an embedded control plane");
  }

  /**
   * A certificate pinned from PEM text.
   *
   * @throws SkiffException if the text holds no certificate
   */
  static Pinned pinned(String pem, String source) {
    return pinned(List.of(pem), source);
  }

  /**
   * Certificates pinned from PEM texts (each may hold several certificates), e.g. one per replica.
   *
   * @throws SkiffException if a text is not PEM certificates, or there is no certificate at all
   */
  static Pinned pinned(List<String> pems, String source) {
    try {
      List<X509Certificate> certificates = new ArrayList<>();
      for (String pem : pems) {
        for (Certificate c :
            CertificateFactory.getInstance("X.509")
                .generateCertificates(
                    new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
          certificates.add((X509Certificate) c);
        }
      }
      if (certificates.isEmpty()) {
        throw new CertificateException("no certificate found");
      }
      return new Pinned(certificates, source);
    } catch (CertificateException | ClassCastException e) {
      throw new SkiffException(
          "the certificate in " + source + " is not a PEM X.509 certificate: " + e.getMessage(), e);
    }
  }

  /**
   * The trust a client uses: {@code SKIFF_TLS_CA} when set (it overrides everything else), else
   * {@code configured}.
   */
  static ServerTrust withEnvironment(ServerTrust configured) {
    return withEnvironment(configured, System.getenv());
  }

  /** As {@link #withEnvironment(ServerTrust)}, with these environment variables. */
  static ServerTrust withEnvironment(ServerTrust configured, Map<String, String> environment) {
    String ca = environment.get(CA_VARIABLE);
    if (ca != null && !ca.isBlank()) {
      return new Authorities(Optional.of(Path.of(ca)), CA_VARIABLE + "=" + ca);
    }
    return configured;
  }

  /**
   * The trust for a server named by {@code SKIFF_SERVER}: {@code SKIFF_TLS_CA} if set, no TLS if
   * {@code SKIFF_TLS=off}, else the system trust store.
   */
  static ServerTrust fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  /** As {@link #fromEnvironment()}, with these environment variables. */
  static ServerTrust fromEnvironment(Map<String, String> environment) {
    String tls = environment.get(TLS_VARIABLE);
    if (tls != null && tls.equalsIgnoreCase("off")) {
      return new Plaintext(TLS_VARIABLE + "=off");
    }
    if (tls != null && !tls.isBlank() && !tls.equalsIgnoreCase("on")) {
      throw new SkiffException(
          TLS_VARIABLE
              + "='"
              + tls
              + "' is not allowed; use on (the default) or off (loopback"
              + " servers only)");
    }
    return withEnvironment(
        new Authorities(Optional.empty(), "the system trust store"), environment);
  }

  /** The SHA-256 fingerprint of a certificate, {@code AB:CD:...}. */
  static String fingerprint(X509Certificate certificate) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
      return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Checks that this trust may be used for {@code target}: plaintext only to a loopback host (or a
   * {@code unix:} socket).
   *
   * @throws SkiffException if it may not
   */
  default void checkTarget(String target) {
    if (this instanceof Plaintext p && !isLoopback(target)) {
      throw new SkiffException(
          "refusing to send the token to "
              + target
              + " without TLS ("
              + p.source()
              + "): only a"
              + " server on loopback may be reached without TLS; use TLS (drop SKIFF_TLS=off, or"
              + " \"tls\": false from the client config)");
    }
  }

  /** The Netty TLS context of a gRPC channel; empty for {@link Plaintext}. */
  default Optional<SslContext> grpcContext() {
    if (this instanceof Plaintext) {
      return Optional.empty();
    }
    try {
      SslContextBuilder b =
          GrpcSslContexts.configure(SslContextBuilder.forClient(), SslProvider.JDK);
      switch (this) {
        case Pinned p -> b.trustManager(new PinnedTrustManager(p));
        case Authorities a -> b.trustManager(trustManagers(a));
        case Plaintext p -> throw new IllegalStateException();
      }
      return Optional.of(b.build());
    } catch (IOException e) {
      throw new SkiffException("could not set up TLS for " + source() + ": " + e.getMessage(), e);
    }
  }

  /** A JDK TLS context with this trust, e.g. for HTTPS requests to the web gateway. */
  default SSLContext sslContext() {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      TrustManager tm =
          switch (this) {
            case Pinned p -> new PinnedTrustManager(p);
            case Authorities a -> trustManagers(a);
            case Plaintext p ->
                throw new IllegalStateException("no TLS context for a plaintext server");
          };
      ctx.init(null, new TrustManager[] {tm}, null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509TrustManager trustManagers(Authorities a) {
    try {
      TrustManagerFactory f =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      if (a.caFile().isEmpty()) {
        f.init((KeyStore) null);
      } else {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        int i = 0;
        try (InputStream in = Files.newInputStream(a.caFile().get())) {
          for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
            ks.setCertificateEntry("ca-" + i++, c);
          }
        }
        if (i == 0) {
          throw new SkiffException(
              a.caFile().get() + " (" + a.source() + ") holds no PEM certificate");
        }
        f.init(ks);
      }
      for (TrustManager tm : f.getTrustManagers()) {
        if (tm instanceof X509TrustManager x) {
          return x;
        }
      }
      throw new IllegalStateException("the JDK offers no X.509 trust manager");
    } catch (IOException e) {
      throw new SkiffException(
          "could not read the certificates of " + a.source() + ": " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new SkiffException(
          "the certificates of " + a.source() + " are not valid: " + e.getMessage(), e);
    }
  }

  private static boolean isLoopback(String target) {
    if (target.startsWith("unix:")) {
      return true; // a Unix domain socket never leaves the machine
    }
    int colon = target.lastIndexOf(':');
    String host = colon > 0 ? target.substring(0, colon) : target;
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    try {
      for (InetAddress a : InetAddress.getAllByName(host)) {
        if (!a.isLoopbackAddress()) {
          return false;
        }
      }
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
