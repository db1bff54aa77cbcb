package dev.skiff.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@link HttpServerComparison}'s baseline, the server Skiff's web gateway uses today: the JDK's
 * {@code com.sun.net.httpserver}, one virtual thread per exchange, serving {@code POST /echo} on a
 * free loopback port.
 */
public final class JdkHttpBenchServer {
  /** Serves until stdin reaches its end. */
  public static void main(String[] args) throws Exception {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    server.setExecutor(executor);
    server.createContext(
        HttpBenchEndpoint.PATH,
        exchange -> {
          try (exchange) {
            if (!"POST".equals(exchange.getRequestMethod())) {
              exchange.sendResponseHeaders(405, -1);
              return;
            }
            int length;
            try (InputStream in = exchange.getRequestBody()) {
              length = in.readAllBytes().length;
            }
            byte[] answer = HttpBenchEndpoint.answer(length);
            exchange.getResponseHeaders().set("Content-Type", HttpBenchEndpoint.CONTENT_TYPE);
            exchange.sendResponseHeaders(200, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(answer);
            }
          }
        });
    server.start();
    HttpBenchEndpoint.serveUntilStdinEnds(
        server.getAddress().getPort(),
        () -> {
          server.stop(0);
          executor.shutdownNow();
        });
  }

  private JdkHttpBenchServer() {}
}
