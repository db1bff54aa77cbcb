package dev.skiff;

/**
 * A function served over HTTP, defined with {@link App#webEndpoint}. Thread-safe.
 */
public final class WebEndpoint {
  private final String name;

  WebEndpoint(String name) {
    this.name = name;
  }

  /** The endpoint's name within its app. */
  public String name() {
    return name;
  }

  /**
   * The URL at which the endpoint answers.
   *
   * @throws UnsupportedOptionException always, until web endpoints are implemented
   */
  public String webUrl() {
    throw new UnsupportedOptionException("not implemented yet: webEndpoint ('" + name + "')");
  }
}
