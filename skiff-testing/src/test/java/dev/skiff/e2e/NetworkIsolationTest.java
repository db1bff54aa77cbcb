package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.AppRun;
import dev.skiff.RunOptions;
import dev.skiff.testing.SkiffExtension;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Collections;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A sandboxed container has its own network namespace: the host's loopback services (the control
 * plane's own client port among them) are out of its reach, by the loopback address and by the
 * user-mode network's gateway alike, while other addresses are reachable through the user-mode
 * network; with {@code blockNetwork()} it has no network but its own loopback. Needs bubblewrap and
 * slirp4netns, as the test script installs them.
 */
@Tag("e2e")
class NetworkIsolationTest {
  @RegisterExtension
  static final SkiffExtension skiff = SkiffExtension.builder().withoutWarmContainers().build();

  @Test
  void aContainerCannotReachTheHostsLoopbackServices() throws Exception {
    try (HostService service = HostService.on(InetAddress.getLoopbackAddress());
        AppRun run = NetworkFns.app.run(RunOptions.quiet())) {
      // The host's loopback: 127.0.0.1 is the container's own, and the user-mode network's gateway
      // (which slirp4netns would otherwise map to the host's loopback) answers "unreachable".
      assertThat(NetworkFns.connect.remote("127.0.0.1", service.port())).startsWith("refused");
      assertThat(NetworkFns.connect.remote("10.0.2.2", service.port()))
          .isEqualTo("failed: java.net.SocketException: Network is unreachable");
      // The control plane's own client port, on the host's loopback.
      int clientPort =
          Integer.parseInt(skiff.target().substring(skiff.target().lastIndexOf(':') + 1));
      assertThat(NetworkFns.connect.remote("127.0.0.1", clientPort)).startsWith("refused");
      assertThat(service.accepted()).as("connections that reached the host service").isZero();
    }
  }

  @Test
  void aContainerReachesOtherAddressesThroughItsUserModeNetwork() throws Exception {
    InetAddress own =
        nonLoopbackAddress()
            .orElseThrow(
                () ->
                    new AssertionError(
                        "this machine has no non-loopback IPv4 address to test with"));
    try (HostService service = HostService.on(own);
        AppRun run = NetworkFns.app.run(RunOptions.quiet())) {
      assertThat(NetworkFns.interfaces.remote()).containsExactly("lo", "tap0");
      assertThat(NetworkFns.connect.remote(own.getHostAddress(), service.port()))
          .isEqualTo("connected");
    }
  }

  @Test
  void aFunctionThatBlocksTheNetworkHasOnlyItsOwnLoopback() throws Exception {
    InetAddress own =
        nonLoopbackAddress()
            .orElseThrow(
                () ->
                    new AssertionError(
                        "this machine has no non-loopback IPv4 address to test with"));
    try (HostService service = HostService.on(own);
        AppRun run = NetworkFns.app.run(RunOptions.quiet())) {
      assertThat(NetworkFns.interfacesBlocked.remote()).containsExactly("lo");
      assertThat(NetworkFns.connectBlocked.remote(own.getHostAddress(), service.port()))
          .isNotEqualTo("connected")
          .contains("unreachable");
      assertThat(service.accepted()).isZero();
    }
  }

  /** This machine's first non-loopback IPv4 address: traffic to it never leaves the machine. */
  private static Optional<InetAddress> nonLoopbackAddress() throws IOException {
    for (NetworkInterface i : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (i.isUp() && !i.isLoopback()) {
        for (InetAddress a : Collections.list(i.getInetAddresses())) {
          if (a instanceof Inet4Address && !a.isLinkLocalAddress()) {
            return Optional.of(a);
          }
        }
      }
    }
    return Optional.empty();
  }

  /** A TCP service of the host that counts the connections it accepts. */
  private static final class HostService implements AutoCloseable {
    private final ServerSocket socket;
    private final AtomicInteger accepted = new AtomicInteger();
    private final Thread acceptor;

    private HostService(ServerSocket socket) {
      this.socket = socket;
      this.acceptor =
          Thread.ofVirtual()
              .start(
                  () -> {
                    while (!socket.isClosed()) {
                      try (Socket s = socket.accept()) {
                        accepted.incrementAndGet();
                      } catch (IOException e) {
                        return;
                      }
                    }
                  });
    }

    static HostService on(InetAddress address) throws IOException {
      ServerSocket s = new ServerSocket();
      s.bind(new InetSocketAddress(address, 0));
      return new HostService(s);
    }

    int port() {
      return socket.getLocalPort();
    }

    int accepted() {
      return accepted.get();
    }

    @Override
    public void close() throws Exception {
      socket.close();
      acceptor.join();
    }
  }
}
