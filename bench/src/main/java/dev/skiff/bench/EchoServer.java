package dev.skiff.bench;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The baseline's server, run in a child JVM as Skiff's containers are: serves {@link EchoService}
 * on a free loopback port, prints {@code PORT <n>} on stdout, and exits when its stdin closes, so
 * it ends with the harness even if the harness is killed.
 */
public final class EchoServer {
  /** The line prefix with which the port is announced. */
  static final String PORT_PREFIX = "PORT ";

  /** Serves until stdin reaches its end. */
  public static void main(String[] args) throws IOException, InterruptedException {
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .addService(EchoService.definition())
            .build()
            .start();
    System.out.println(PORT_PREFIX + server.getPort());
    System.out.flush();
    try {
      while (System.in.read() != -1) {
        // Anything written to stdin is ignored; only its end matters.
      }
    } finally {
      server.shutdownNow();
      server.awaitTermination(5, TimeUnit.SECONDS);
    }
    System.exit(0);
  }

  private EchoServer() {}
}
