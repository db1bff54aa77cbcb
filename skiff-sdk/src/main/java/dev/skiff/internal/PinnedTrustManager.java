package dev.skiff.internal;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Accepts exactly a pinned certificate as the server's (its chain's first certificate), and no
 * client. Being an {@link X509ExtendedTrustManager}, the JDK adds no host name check of its own.
 */
final class PinnedTrustManager extends X509ExtendedTrustManager {
  private final ServerTrust.Pinned pinned;
  private final List<String> expected;

  PinnedTrustManager(ServerTrust.Pinned pinned) {
    this.pinned = pinned;
    this.expected = pinned.certificates().stream().map(ServerTrust::fingerprint).toList();
  }

  private void check(X509Certificate[] chain) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("the server presented no certificate");
    }
    String got = ServerTrust.fingerprint(chain[0]);
    if (!expected.contains(got)) {
      throw new CertificateException(
          "its certificate ("
              + chain[0].getSubjectX500Principal().getName()
              + ", SHA-256 "
              + got
              + ") is not "
              + (expected.size() == 1 ? "the one" : "one of those")
              + " pinned in "
              + pinned.source()
              + " (SHA-256 "
              + String.join(", ", expected)
              + ")");
    }
    chain[0].checkValidity();
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    check(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw new CertificateException("a Skiff client trusts no client certificates");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    throw new CertificateException("a Skiff client trusts no client certificates");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    throw new CertificateException("a Skiff client trusts no client certificates");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return pinned.certificates().toArray(X509Certificate[]::new);
  }
}
