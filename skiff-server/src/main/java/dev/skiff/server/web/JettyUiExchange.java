package dev.skiff.server.web;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;

/** A {@link WebUi.Exchange} over Jetty's request and response; answered once. */
final class JettyUiExchange implements WebUi.Exchange {
  private final Request request;
  private final Response response;
  private final Callback callback;
  private final AtomicBoolean answered = new AtomicBoolean();

  JettyUiExchange(Request request, Response response, Callback callback) {
    this.request = request;
    this.response = response;
    this.callback = callback;
  }

  boolean answered() {
    return answered.get();
  }

  @Override
  public String method() {
    return request.getMethod();
  }

  @Override
  public String path() {
    return request.getHttpURI().getPath();
  }

  @Override
  public Map<String, List<String>> query() {
    return decode(request.getHttpURI().getQuery());
  }

  @Override
  public Optional<String> header(String name) {
    return Optional.ofNullable(request.getHeaders().get(name));
  }

  @Override
  public boolean secure() {
    return request.isSecure();
  }

  @Override
  public Map<String, List<String>> form(int maxBytes) throws IOException {
    long declared = request.getLength();
    if (declared > maxBytes) {
      throw new IOException("the form has " + declared + " bytes; at most " + maxBytes);
    }
    byte[] body;
    try (InputStream in = Content.Source.asInputStream(request)) {
      body = in.readNBytes(maxBytes + 1);
    }
    if (body.length > maxBytes) {
      throw new IOException("the form has more than " + maxBytes + " bytes");
    }
    return decode(new String(body, StandardCharsets.US_ASCII));
  }

  @Override
  public void respond(int status, Map<String, String> headers, String contentType, byte[] body) {
    if (!answered.compareAndSet(false, true)) {
      return;
    }
    response.setStatus(status);
    headers.forEach((k, v) -> response.getHeaders().put(k, v));
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, ByteBuffer.wrap(body), callback);
  }

  @Override
  public WebUi.EventStream events(Map<String, String> headers) throws IOException {
    if (!answered.compareAndSet(false, true)) {
      throw new IllegalStateException("already answered");
    }
    response.setStatus(200);
    headers.forEach((k, v) -> response.getHeaders().put(k, v));
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream;charset=utf-8");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    write(": events follow\n\n");
    return new WebUi.EventStream() {
      private final AtomicBoolean closed = new AtomicBoolean();

      @Override
      public void send(String data) throws IOException {
        StringBuilder event = new StringBuilder();
        for (String line : data.split("\r?\n|\r", -1)) {
          event.append("data: ").append(line).append('\n');
        }
        write(event.append('\n').toString());
      }

      @Override
      public void ping() throws IOException {
        write(": ping\n\n");
      }

      @Override
      public void close() {
        if (closed.compareAndSet(false, true)) {
          response.write(true, ByteBuffer.allocate(0), callback);
        }
      }
    };
  }

  private void write(String text) throws IOException {
    try (Blocker.Callback written = Blocker.callback()) {
      response.write(false, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), written);
      written.block();
    }
  }

  /** The fields of a query or form, decoded; a field without {@code =} has the value "". */
  static Map<String, List<String>> decode(String encoded) {
    Map<String, List<String>> fields = new LinkedHashMap<>();
    if (encoded == null || encoded.isEmpty()) {
      return fields;
    }
    for (String pair : encoded.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      try {
        String name =
            URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        String value =
            eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        fields.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
      } catch (IllegalArgumentException e) {
        // A malformed escape: the field is left out.
      }
    }
    return fields;
  }
}
