package dev.skiff.bench;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;

/**
 * Helidon SE 4 WebServer for {@link HttpServerComparison}: its defaults (HTTP/1.1, one virtual
 * thread per request), on a free loopback port, with a route for {@code POST /echo} that reads the
 * body fully.
 */
public final class HelidonBenchServer {
  /** Serves until stdin reaches its end. */
  public static void main(String[] args) throws Exception {
    WebServer server =
        WebServer.builder()
            .host("127.0.0.1")
            .port(0)
            .routing(
                routing ->
                    routing.post(
                        HttpBenchEndpoint.PATH,
                        (request, response) -> {
                          int length = request.content().as(byte[].class).length;
                          response.header(HeaderNames.CONTENT_TYPE, HttpBenchEndpoint.CONTENT_TYPE);
                          response.send(HttpBenchEndpoint.answer(length));
                        }))
            .build()
            .start();
    HttpBenchEndpoint.serveUntilStdinEnds(server.port(), server::stop);
  }

  private HelidonBenchServer() {}
}
