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
  private final String method;
  private final String label;
  private final boolean requiresAuth;
  private final Consumer<FunctionOptions.Builder> function;

  private WebEndpointOptions(Builder b) {
    this.method = b.method;
    this.label = b.label;
    this.requiresAuth = b.requiresAuth;
    this.function = b.function;
  }

  /** A builder with the defaults: {@code GET}, the label {@code defaultLabel}, public. */
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

  /** The options of the function that serves the endpoint. */
  public Consumer<FunctionOptions.Builder> function() {
    return function;
  }

  /** Builds {@link WebEndpointOptions}; each setter validates at once. Not thread-safe. */
  public static final class Builder {
    private String method = "GET";
    private String label;
    private boolean requiresAuth;
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
