package dev.skiff.examples;

import dev.skiff.App;
import dev.skiff.WebEndpoint;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

/**
 * The guide's web endpoint example: {@code api} is served over HTTP while the app runs, at {@link
 * WebEndpoint#webUrl()}; each request runs it in a container and its value comes back as JSON. This
 * program prints the URL, calls it once, and prints the answer.
 */
public final class WebApi {
  static final App app = App.named("web-api");

  // @app.function() @modal.web_endpoint() def api(): ...
  static final WebEndpoint api = app.webEndpoint(WebApi::api);

  static Map<String, String> api() {
    return Map.of("message", "Hello, API!");
  }

  public static void main(String[] args) throws Exception {
    try (var run = app.run()) {
      System.out.println(api.webUrl());
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(api.webUrl())).build(),
                  HttpResponse.BodyHandlers.ofString());
      System.out.println(response.statusCode() + " " + response.body());
    }
  }

  private WebApi() {}
}
