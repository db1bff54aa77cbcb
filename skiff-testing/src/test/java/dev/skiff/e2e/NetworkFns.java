package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function0;
import dev.skiff.Function2;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.util.Collections;
import java.util.List;

/** Functions that probe what a container's network reaches, for {@link NetworkIsolationTest}. */
public final class NetworkFns {
  static final App app = App.named("network");

  /** Tries to open a TCP connection from inside a container with the default network. */
  static final Function2<String, Integer, String> connect = app.function(NetworkFns::tryConnect);

  /** The same from a container whose function blocks the network. */
  static final Function2<String, Integer, String> connectBlocked =
      app.function(NetworkFns::tryConnect, f -> f.name("connectBlocked").blockNetwork());

  /** The network interfaces a container with the default network sees. */
  static final Function0<List<String>> interfaces = app.function(NetworkFns::interfaceNames);

  /** The network interfaces a container whose function blocks the network sees. */
  static final Function0<List<String>> interfacesBlocked =
      app.function(NetworkFns::interfaceNames, f -> f.name("interfacesBlocked").blockNetwork());

  private NetworkFns() {}

  /** "connected", or the kind of failure: what a hostile function learns by trying. */
  static String tryConnect(String host, Integer port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 3_000);
      return "connected";
    } catch (ConnectException e) {
      return "refused: " + e.getMessage();
    } catch (IOException e) {
      return "failed: " + e;
    }
  }

  static List<String> interfaceNames() {
    try {
      return Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
          .map(NetworkInterface::getName)
          .sorted()
          .toList();
    } catch (SocketException e) {
      throw new IllegalStateException(e);
    }
  }
}
