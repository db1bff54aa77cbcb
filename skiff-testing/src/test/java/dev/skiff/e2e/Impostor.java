package dev.skiff.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * A listener that pretends to be a Skiff server on a loopback port and records every byte a client
 * sends it (after decryption, when it speaks TLS). It answers each connection with an empty HTTP/2
 * SETTINGS frame, which is all a gRPC client waits for before it sends a call's headers (and with
 * them its token), reads until the client is quiet for a second, and hangs up.
 */
final class Impostor implements AutoCloseable {
  private static final byte[] EMPTY_SETTINGS = {0, 0, 0, 4, 0, 0, 0, 0, 0};

  private final ServerSocket socket;
  private final ByteArrayOutputStream received = new ByteArrayOutputStream();
  private final Thread acceptor;

  private Impostor(ServerSocket socket) {
    this.socket = socket;
    this.acceptor = Thread.ofVirtual().start(this::acceptAll);
  }

  /** A plaintext impostor on {@code port} of 127.0.0.1. */
  static Impostor plaintext(int port) {
    try {
      ServerSocket s = new ServerSocket();
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return new Impostor(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A TLS impostor on {@code port} of 127.0.0.1 with its own certificate, offering HTTP/2. */
  static Impostor tls(int port, SSLContext context) {
    try {
      SSLServerSocket s = (SSLServerSocket) context.getServerSocketFactory().createServerSocket();
      s.setReuseAddress(true);
      SSLParameters p = s.getSSLParameters();
      p.setApplicationProtocols(new String[] {"h2"});
      s.setSSLParameters(p);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return new Impostor(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Everything clients sent so far, as ISO-8859-1 text. */
  String received() {
    synchronized (received) {
      return received.toString(StandardCharsets.ISO_8859_1);
    }
  }

  private void acceptAll() {
    while (!socket.isClosed()) {
      try {
        Socket c = socket.accept();
        Thread.ofVirtual().start(() -> serve(c));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket c) {
    try (c) {
      c.setSoTimeout(1000);
      if (c instanceof SSLSocket ssl) {
        ssl.startHandshake();
      }
      c.getOutputStream().write(EMPTY_SETTINGS);
      c.getOutputStream().flush();
      InputStream in = c.getInputStream();
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) > 0) {
        synchronized (received) {
          received.write(buf, 0, n);
        }
      }
    } catch (SocketTimeoutException e) {
      // The client is waiting for an answer that never comes: hang up.
    } catch (IOException e) {
      // The client refused the handshake or hung up.
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
      acceptor.join(5000);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
