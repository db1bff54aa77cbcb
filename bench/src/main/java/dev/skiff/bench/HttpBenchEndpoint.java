package dev.skiff.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * What the three server mains of {@link HttpServerComparison} share: the answer of the trivial
 * {@code POST /echo} endpoint, and the life of a server child JVM (announce the port on stdout,
 * serve until stdin reaches its end, so the server ends with the harness even if the harness is
 * killed).
 */
final class HttpBenchEndpoint {
  static final String PATH = "/echo";
  static final String CONTENT_TYPE = "application/json";
  static final String REQUEST_BODY = "{\"name\":\"x\"}";

  /** The answer to a request body of {@code length} bytes, read fully. */
  static byte[] answer(int length) {
    return ("{\"ok\":true,\"received\":" + length + "}").getBytes(StandardCharsets.UTF_8);
  }

  /** Prints {@code PORT <port>}, blocks until stdin ends, then runs {@code stop} and exits. */
  static void serveUntilStdinEnds(int port, AutoCloseable stop) throws Exception {
    System.out.println(EchoServer.PORT_PREFIX + port);
    System.out.flush();
    try {
      while (System.in.read() != -1) {
        // Anything written to stdin is ignored; only its end matters.
      }
    } catch (IOException e) {
      // Treated as the end of stdin.
    } finally {
      stop.close();
    }
    System.exit(0);
  }

  private HttpBenchEndpoint() {}
}
