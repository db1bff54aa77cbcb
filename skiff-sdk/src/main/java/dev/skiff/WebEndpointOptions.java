package dev.skiff;

import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How a web endpoint is served, like the seed's {@code @web_endpoint(method=..., label=...,
 * requires_proxy_auth=...)}: its HTTP method, its label (the last segment of its URL), whether it
 * requires auth, and the options of the function behind it (timeout, scaling, concurrency).
 * Immutable; made with {@link App#webEndpoint(Method1, Consumer)} and friends.
 */
public final class WebEndpointOptions {
  /** The default of {@link Builder#maxBodyBytes}: 16 MiB. */
  public static final long DEFAULT_MAX_BODY_BYTES = 16L * 1024 * 1024;

  /** The most {@link Builder#maxBodyBytes} may be: 64 MiB. */
  public static final long MAX_BODY_BYTES = 64L * 1024 * 1024;

  /** The default of {@link Builder#maxConcurrentRequests}: 1,000. */
  public static final int DEFAULT_MAX_CONCURRENT_REQUESTS = 1_000;

  /** The most {@link Builder#maxConcurrentRequests} may be: 100,000. */
  public static final int MAX_CONCURRENT_REQUESTS = 100_000;

  private final String method;
  private final String label;
  private final boolean requiresAuth;
  private final long maxBodyBytes;
  private final int maxConcurrentRequests;
  private final Consumer<FunctionOptions.Builder> function;

  private WebEndpointOptions(Builder b) {
    this.method = b.method;
    this.label = b.label;
    this.requiresAuth = b.requiresAuth;
    this.maxBodyBytes = b.maxBodyBytes;
    this.maxConcurrentRequests = b.maxConcurrentRequests;
    this.function = b.function;
  }

  /**
   * A builder with the defaults: {@code GET}, the label {@code defaultLabel}, public, bodies up to
   * {@value #DEFAULT_MAX_BODY_BYTES} bytes, {@value #DEFAULT_MAX_CONCURRENT_REQUESTS} requests at
   * once.
   */
  public static Builder builder(String defaultLabel) {
    return new Builder(defaultLabel);
  }

  /** The HTTP method of the simple form, {@code GET} or {@code POST}. */
  public String method() {
    return method;
  }

  /** The last segment of the endpoint's URL ({@code /<app name>/<label>}). */
  public String label() {
    return label;
  }

  /** Whether requests need a web token ({@code Skiff-Key} and {@code Skiff-Secret} headers). */
  public boolean requiresAuth() {
    return requiresAuth;
  }

  /** The largest request body the endpoint takes, in bytes. */
  public long maxBodyBytes() {
    return maxBodyBytes;
  }

  /** The most requests the endpoint takes at once. */
  public int maxConcurrentRequests() {
    return maxConcurrentRequests;
  }

  /** The options of the function that serves the endpoint. */
  public Consumer<FunctionOptions.Builder> function() {
    return function;
  }

  /** Builds {@link WebEndpointOptions}; each setter validates at once. Not thread-safe. */
  public static final class Builder {
    private String method = "GET";
    private String label;
    private boolean requiresAuth;
    private long maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    private int maxConcurrentRequests = DEFAULT_MAX_CONCURRENT_REQUESTS;
    private Consumer<FunctionOptions.Builder> function = f -> {};

    private Builder(String defaultLabel) {
      this.label = defaultLabel;
    }

    /**
     * The HTTP method of the simple form: {@code GET} maps query parameters onto the method's
     * parameters, {@code POST} a JSON object body. Other methods answer 405. (An endpoint taking a
     * {@link WebRequest} takes every method.)
     *
     * @throws InvalidConfigurationException unless {@code GET} or {@code POST} (any case)
     */
    public Builder method(String method) {
      String upper = Objects.requireNonNull(method, "method").toUpperCase(Locale.ROOT);
      if (!upper.equals("GET") && !upper.equals("POST")) {
        throw new InvalidConfigurationException(
            "web endpoint '" + label + "': method was '" + method + "'; allowed is GET or POST");
      }
      this.method = upper;
      return this;
    }

    /**
     * The last segment of the endpoint's URL (default: the method's name).
     *
     * @throws InvalidConfigurationException unless 1-63 of {@code [A-Za-z0-9_-]}, starting with a
     *     letter or digit
     */
    public Builder label(String label) {
      if (label == null || !label.matches("[A-Za-z0-9][A-Za-z0-9_\\-]{0,62}")) {
        throw new InvalidConfigurationException(
            "web endpoint '"
                + this.label
                + "': label '"
                + label
                + "' is not allowed; use 1-63 of"
                + " [A-Za-z0-9_-], starting with a letter or digit");
      }
      this.label = label;
      return this;
    }

    /**
     * Requires a {@link dev.skiff.WebToken web token} in the {@code Skiff-Key} and {@code
     * Skiff-Secret} headers (made with {@code skiff token create} or {@link
     * dev.skiff.AppRun#createWebToken}); other requests answer 401 and start nothing. The gateway
     * never passes those headers on to the function, and refuses any request that carries the
     * client token.
     */
    public Builder requiresAuth() {
      this.requiresAuth = true;
      return this;
    }

    /**
     * The largest request body the endpoint takes (default {@value #DEFAULT_MAX_BODY_BYTES} bytes).
     * A larger body is answered 413 without being read past the limit, and nothing runs. The body
     * is held in the server's memory while the request is served; all bodies together are bounded
     * by the server's {@code --web-max-buffered-mib}.
     *
     * @throws InvalidConfigurationException unless 1..{@value #MAX_BODY_BYTES}
     */
    public Builder maxBodyBytes(long bytes) {
      if (bytes < 1 || bytes > MAX_BODY_BYTES) {
        throw new InvalidConfigurationException(
            "web endpoint '"
                + label
                + "': maxBodyBytes was "
                + bytes
                + "; allowed is 1.."
                + MAX_BODY_BYTES
                + " (64 MiB)");
      }
      this.maxBodyBytes = bytes;
      return this;
    }

    /**
     * The most requests the endpoint takes at once, counting those whose body is still arriving,
     * those queued for a container and those running (default {@value
     * #DEFAULT_MAX_CONCURRENT_REQUESTS}). Beyond it a request is answered 429 with {@code
     * Retry-After} at once, and nothing runs: a burst cannot queue without bound behind a slow
     * function.
     *
     * @throws InvalidConfigurationException unless 1..{@value #MAX_CONCURRENT_REQUESTS}
     */
    public Builder maxConcurrentRequests(int requests) {
      if (requests < 1 || requests > MAX_CONCURRENT_REQUESTS) {
        throw new InvalidConfigurationException(
            "web endpoint '"
                + label
                + "': maxConcurrentRequests was "
                + requests
                + "; allowed is 1.."
                + MAX_CONCURRENT_REQUESTS);
      }
      this.maxConcurrentRequests = requests;
      return this;
    }

    /**
     * Options of the function behind the endpoint, e.g. {@code f -> f.timeout(...)}; retries and
     * schedules are refused.
     */
    public Builder function(Consumer<FunctionOptions.Builder> options) {
      this.function = Objects.requireNonNull(options, "options");
      return this;
    }

    /** The options. */
    public WebEndpointOptions build() {
      return new WebEndpointOptions(this);
    }
  }
}
