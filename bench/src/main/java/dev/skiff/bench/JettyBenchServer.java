package dev.skiff.bench;

import java.nio.ByteBuffer;
import java.util.concurrent.Executors;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Jetty 12 core (no servlets) for {@link HttpServerComparison}: a {@link QueuedThreadPool} that
 * runs blocking handlers on virtual threads, one HTTP/1.1 connector on a free loopback port, and a
 * handler for {@code POST /echo} that reads the body fully with a blocking read.
 */
public final class JettyBenchServer {
  /** Serves until stdin reaches its end. */
  public static void main(String[] args) throws Exception {
    QueuedThreadPool pool = new QueuedThreadPool();
    pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
    Server server = new Server(pool);
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    server.setHandler(
        new Handler.Abstract() {
          @Override
          public boolean handle(Request request, Response response, Callback callback)
              throws Exception {
            if (!HttpBenchEndpoint.PATH.equals(request.getHttpURI().getPath())) {
              return false;
            }
            if (!"POST".equals(request.getMethod())) {
              Response.writeError(request, response, callback, 405);
              return true;
            }
            int length = Content.Source.asInputStream(request).readAllBytes().length;
            byte[] answer = HttpBenchEndpoint.answer(length);
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, HttpBenchEndpoint.CONTENT_TYPE);
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, answer.length);
            response.write(true, ByteBuffer.wrap(answer), callback);
            return true;
          }
        });
    server.start();
    HttpBenchEndpoint.serveUntilStdinEnds(connector.getLocalPort(), server::stop);
  }

  private JettyBenchServer() {}
}
