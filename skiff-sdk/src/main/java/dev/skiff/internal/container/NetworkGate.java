package dev.skiff.internal.container;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Holds a container back until its network is up, so that user code never runs without the network
 * its function was given. The control plane attaches a sandboxed container's user-mode network from
 * outside, a few milliseconds after the sandbox starts; it names the interface in {@code
 * SKIFF_NETWORK_INTERFACE}, and this waits until the kernel's routing table (which the container's
 * own network namespace shows in {@code /proc/net/route}) has a default route through it. Without
 * that variable (no network, or no sandbox) it returns at once.
 */
final class NetworkGate {
  static final Duration LIMIT = Duration.ofSeconds(10);

  private NetworkGate() {}

  /**
   * Waits for {@code iface} (from {@code SKIFF_NETWORK_INTERFACE}) to carry the default route;
   * returns at once without one.
   *
   * @throws IllegalStateException if it does not within {@link #LIMIT}
   */
  static void await(Optional<String> networkInterface) throws InterruptedException {
    if (networkInterface.isEmpty()) {
      return;
    }
    String iface = networkInterface.get();
    long deadline = System.nanoTime() + LIMIT.toNanos();
    while (!hasDefaultRoute(iface)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the container's network ("
                + iface
                + ") did not come up within "
                + LIMIT.toSeconds()
                + " s");
      }
      Thread.sleep(2);
    }
  }

  private static boolean hasDefaultRoute(String iface) {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/net/route"));
      // Columns: Iface Destination Gateway ...; the default route's destination is 00000000.
      return lines.stream()
          .skip(1)
          .map(l -> l.trim().split("\\s+"))
          .anyMatch(f -> f.length > 1 && f[0].equals(iface) && f[1].equals("00000000"));
    } catch (IOException e) {
      return false;
    }
  }
}
