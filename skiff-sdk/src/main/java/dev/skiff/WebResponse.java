package dev.skiff;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/**
 * The HTTP response of a web endpoint: what a low-level endpoint (one taking a {@link WebRequest})
 * returns, and what a simple endpoint may return instead of a value when it needs another status or
 * headers.
 *
 * @param status the HTTP status, 100..599
 * @param headers the response headers
 * @param body the response body (may be empty); not copied, do not modify it
 */
public record WebResponse(int status, Map<String, String> headers, byte[] body) {
  /**
   * Checks the values.
   *
   * @throws InvalidConfigurationException if the status is outside 100..599
   */
  public WebResponse {
    if (status < 100 || status > 599) {
      throw new InvalidConfigurationException(
          "web response status was " + status + "; allowed is 100..599");
    }
    headers = Map.copyOf(headers);
    Objects.requireNonNull(body, "body");
  }

  /** A response with a UTF-8 text body ({@code text/plain}). */
  public static WebResponse text(int status, String text) {
    return new WebResponse(
        status,
        Map.of("Content-Type", "text/plain; charset=utf-8"),
        text.getBytes(StandardCharsets.UTF_8));
  }

  /** A response whose body is JSON text already encoded ({@code application/json}). */
  public static WebResponse json(int status, String json) {
    return new WebResponse(
        status, Map.of("Content-Type", "application/json"), json.getBytes(StandardCharsets.UTF_8));
  }

  /** A response without a body. */
  public static WebResponse empty(int status) {
    return new WebResponse(status, Map.of(), new byte[0]);
  }
}
