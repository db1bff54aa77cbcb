package dev.skiff.internal;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Accepts exactly the pinned certificate as the server's (its chain's first certificate), and no
 * client. Being an {@link X509ExtendedTrustManager}, the JDK adds no host name check of its own.
 */
final class PinnedTrustManager extends X509ExtendedTrustManager {
  private final ServerTrust.Pinned pinned;
  private final String expected;

  PinnedTrustManager(ServerTrust.Pinned pinned) {
    this.pinned = pinned;
    this.expected = ServerTrust.fingerprint(pinned.certificate());
  }

  private void check(X509Certificate[] chain) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("the server presented no certificate");
    }
    String got = ServerTrust.fingerprint(chain[0]);
    if (!got.equals(expected)) {
      throw new CertificateException(
          "its certificate ("
              + chain[0].getSubjectX500Principal().getName()
              + ", SHA-256 "
              + got
              + ") is not the one pinned in "
              + pinned.source()
              + " (SHA-256 "
              + expected
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
    return new X509Certificate[] {pinned.certificate()};
  }
}
