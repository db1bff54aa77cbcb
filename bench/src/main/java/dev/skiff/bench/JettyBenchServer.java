package dev.skiff.bench;

import dev.skiff.server.web.WebLimits;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.ConnectionLimit;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
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
 *
 * <p>{@link #startLikeGateway} starts, in this JVM, a Jetty server configured as Skiff's web
 * gateway is, for {@link WebEndpointBenchmark}'s baseline.
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

  /**
   * Starts {@code handler} on a Jetty server configured as {@code dev.skiff.server.web.WebGateway}
   * configures its plain-HTTP server (keep the two in step): a {@link QueuedThreadPool} of at least
   * 2 platform threads for selectors and acceptors whose virtual-threads executor is a new virtual
   * thread per task (so blocking handlers run on virtual threads), no stop timeout, no {@code
   * Server} or {@code X-Powered-By} header, HTTP/1.1 and cleartext HTTP/2 on one connector on a
   * free loopback port, the gateway's default idle timeout and connection limit ({@link
   * WebLimits#defaults()}). The caller closes it.
   */
  static GatewayLike startLikeGateway(Handler handler) throws Exception {
    WebLimits limits = WebLimits.defaults();
    ExecutorService handlers =
        Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("bare-web-", 0).factory());
    QueuedThreadPool threads = new QueuedThreadPool();
    threads.setMinThreads(2);
    threads.setName("bare-web-io");
    threads.setVirtualThreadsExecutor(handlers);
    Server server = new Server(threads);
    server.setStopTimeout(0);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    ServerConnector connector =
        new ServerConnector(
            server, new HttpConnectionFactory(http), new HTTP2CServerConnectionFactory(http));
    connector.setHost(InetAddress.getLoopbackAddress().getHostAddress());
    connector.setPort(0);
    connector.setIdleTimeout(limits.idleTimeout().toMillis());
    server.addConnector(connector);
    server.addBean(new ConnectionLimit(limits.maxConnections(), connector));
    server.setHandler(handler);
    GatewayLike started = new GatewayLike(server, connector, handlers);
    try {
      server.start();
    } catch (Exception e) {
      started.close();
      throw e;
    }
    return started;
  }

  /** A server started by {@link #startLikeGateway}; closing it stops it and its handler threads. */
  record GatewayLike(Server server, ServerConnector connector, ExecutorService handlers)
      implements AutoCloseable {
    int port() {
      return connector.getLocalPort();
    }

    @Override
    public void close() throws Exception {
      try {
        server.stop();
      } finally {
        handlers.shutdownNow();
      }
    }
  }

  private JettyBenchServer() {}
}
