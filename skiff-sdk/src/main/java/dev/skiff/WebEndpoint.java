package dev.skiff;

/**
 * A function served over HTTP, defined with {@link App#webEndpoint}, like the seed's {@code
 * @web_endpoint()}. While its app runs, the control plane's gateway serves it at {@link #webUrl()};
 * each request is an input of the function, so its timeout, concurrency and autoscaling apply.
 * Thread-safe.
 */
public final class WebEndpoint {
  private final App app;
  private final String name;
  private final WebEndpointOptions options;

  WebEndpoint(App app, String name, WebEndpointOptions options) {
    this.app = app;
    this.name = name;
    this.options = options;
  }

  /** The endpoint's function name within its app. */
  public String name() {
    return name;
  }

  /** The last segment of the endpoint's URL. */
  public String label() {
    return options.label();
  }

  /** The HTTP method of the simple form ({@code GET} or {@code POST}). */
  public String method() {
    return options.method();
  }

  /** Whether requests need a web token ({@code Skiff-Key} and {@code Skiff-Secret} headers). */
  public boolean requiresAuth() {
    return options.requiresAuth();
  }

  /**
   * The URL at which the endpoint answers while its app runs: {@code http://127.0.0.1:PORT/<app
   * name>/<label>} on the control plane's gateway.
   *
   * @throws SkiffException if the app is not running in this program
   */
  public String webUrl() {
    return app.webUrl(name);
  }

  @Override
  public String toString() {
    return "WebEndpoint[" + app.name() + "/" + options.label() + "]";
  }
}
