package dev.skiff;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An HTTP request as a low-level web endpoint receives it: a method taking a {@code WebRequest} and
 * returning a {@link WebResponse} gets the whole request instead of parameters mapped by name.
 *
 * <pre>{@code
 * static final WebEndpoint echo = app.webEndpoint(Api::echo);
 * static WebResponse echo(WebRequest request) {
 *   return WebResponse.text(200, request.method() + " " + request.path());
 * }
 * }</pre>
 *
 * @param method the HTTP method, e.g. {@code GET}
 * @param path the path below the endpoint's URL: {@code ""} for the URL itself, else starting with
 *     {@code /}
 * @param query the decoded query parameters, each with its values in order
 * @param headers the request headers, each with its values in order (names as sent)
 * @param body the request body (empty if none); not copied, do not modify it
 */
public record WebRequest(
    String method,
    String path,
    Map<String, List<String>> query,
    Map<String, List<String>> headers,
    byte[] body) {
  /** Checks that no component is null and makes the maps unmodifiable. */
  public WebRequest {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(path, "path");
    query = Map.copyOf(query);
    headers = Map.copyOf(headers);
    Objects.requireNonNull(body, "body");
  }

  /** The first value of a query parameter, if it was given. */
  public Optional<String> queryParam(String name) {
    List<String> values = query.get(name);
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.getFirst());
  }

  /** The first value of a header, its name compared without regard to case. */
  public Optional<String> header(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return headers.entrySet().stream()
        .filter(e -> e.getKey().toLowerCase(Locale.ROOT).equals(lower) && !e.getValue().isEmpty())
        .map(e -> e.getValue().getFirst())
        .findFirst();
  }

  /** The body decoded as UTF-8. */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }
}
