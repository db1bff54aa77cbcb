package dev.skiff.server.cluster;

import dev.skiff.server.store.LeaseStore.Replica;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * The channels from this replica to the others, one per replica address, made on first use. A
 * replica that serves TLS is trusted by the certificate it published in the database with its
 * heartbeat, and no other: a replica reaches its peers without any certificate authority. Thread-
 * safe.
 */
final class PeerChannels implements AutoCloseable {
  private record Key(String address, String certificate) {}

  private final int maxMessageBytes;
  private final ConcurrentHashMap<Key, ManagedChannel> channels = new ConcurrentHashMap<>();

  PeerChannels(int maxMessageBytes) {
    this.maxMessageBytes = maxMessageBytes;
  }

  /** The channel to {@code replica}. */
  ManagedChannel to(Replica replica) {
    Key key = new Key(replica.address(), replica.certificate().orElse(""));
    return channels.computeIfAbsent(key, this::open);
  }

  private ManagedChannel open(Key key) {
    NettyChannelBuilder b =
        NettyChannelBuilder.forTarget(key.address())
            .directExecutor()
            .maxInboundMessageSize(maxMessageBytes)
            .keepAliveTime(10, TimeUnit.SECONDS)
            .keepAliveTimeout(5, TimeUnit.SECONDS);
    if (key.certificate().isEmpty()) {
      b.usePlaintext();
    } else {
      try {
        X509Certificate cert =
            (X509Certificate)
                CertificateFactory.getInstance("X.509")
                    .generateCertificate(
                        new ByteArrayInputStream(
                            key.certificate().getBytes(StandardCharsets.US_ASCII)));
        // The certificate is pinned: the name it was issued for need not match the address.
        b.sslContext(GrpcSslContexts.forClient().trustManager(cert).build())
            .overrideAuthority(firstName(cert));
      } catch (CertificateException | SSLException | RuntimeException e) {
        throw new IllegalStateException(
            "the certificate that replica at " + key.address() + " published is unusable: " + e, e);
      }
    }
    return b.build();
  }

  /** A DNS name (or address) the certificate was issued for, to verify the peer by. */
  private static String firstName(X509Certificate cert) throws CertificateException {
    var names = cert.getSubjectAlternativeNames();
    if (names != null) {
      for (var n : names) {
        if (n.size() >= 2 && n.get(1) instanceof String name) {
          return name;
        }
      }
    }
    return "localhost";
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    channels.clear();
  }
}
