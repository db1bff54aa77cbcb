package dev.skiff.server.web;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Pages that the web gateway serves besides the apps' endpoints (the dashboard), without the HTTP
 * server's types: the gateway hands each request under {@link #PREFIX} (and {@code /} itself) to
 * {@link #serve}, on a virtual thread that may block.
 */
@FunctionalInterface
public interface WebUi {
  /** The prefix of the pages' paths, inside the gateway's own paths. */
  String PREFIX = JarEndpoint.RESERVED + "ui/";

  /** Answers one request; a request left unanswered is answered 500. */
  void serve(Exchange exchange) throws IOException;

  /** One request and its answer. */
  interface Exchange {
    /** The method, e.g. {@code GET}. */
    String method();

    /** The path, undecoded. */
    String path();

    /** The query's parameters, decoded, each name's values in order. */
    Map<String, List<String>> query();

    /** A request header's first value. */
    Optional<String> header(String name);

    /** Whether the request came over TLS. */
    boolean secure();

    /**
     * The body as an {@code application/x-www-form-urlencoded} form's fields, decoded.
     *
     * @throws IOException if it could not be read, or holds more than {@code maxBytes}
     */
    Map<String, List<String>> form(int maxBytes) throws IOException;

    /** Answers with this status, headers, content type and body. */
    void respond(int status, Map<String, String> headers, String contentType, byte[] body);

    /** Answers 200 with a stream of server-sent events, which the caller writes and then closes. */
    EventStream events(Map<String, String> headers) throws IOException;
  }

  /** A response of server-sent events ({@code text/event-stream}). */
  interface EventStream extends AutoCloseable {
    /**
     * Sends one event with these data (one {@code data:} line per line), and waits until it is
     * written.
     *
     * @throws IOException if the client has gone
     */
    void send(String data) throws IOException;

    /** Sends a comment, which keeps the connection open and finds a client that has gone. */
    void ping() throws IOException;

    /** Ends the response. */
    @Override
    void close();
  }
}
