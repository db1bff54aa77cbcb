package dev.skiff.bench;

import dev.skiff.AppRun;
import dev.skiff.RunOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * What Skiff's web gateway adds to a request: {@code wrk} against a simple-form GET endpoint
 * ({@link BenchFunctions#webHello}, {@code /bench-web/hello?name=x}) on the embedded control plane
 * (request to input, input to its warm container over gRPC, the answer back), against the same
 * request on a bare Jetty endpoint that answers the same bytes itself, on a Jetty server configured
 * as the gateway is ({@link JettyBenchServer#startLikeGateway}).
 *
 * <p>The bare server runs in this JVM, where the gateway runs too (the embedded control plane is
 * in-process): the same JVM, heap, garbage collector and JIT-compiled Jetty code serve both sides,
 * so the difference between them is Skiff's work and not two JVMs' settings or warm-up. The sides
 * never run at once. Each gets an untimed warm-up at {@link Sizes#WEB_CONNECTIONS} connections
 * (Skiff's longer: it has two JVMs' JIT compilers to settle, the bare side only Jetty's); then the
 * rounds alternate (and so does who goes first), first at {@link Sizes#WEB_CONNECTIONS}
 * connections, then at 1 connection for single-request latency. Every response must be a 2xx:
 * before the rounds, one request per side must answer 200 with the same body, and a round with a
 * non-2xx answer or socket error fails the benchmark.
 */
final class WebEndpointBenchmark {
  private static final String QUERY = "?name=x";

  static Measurement.WebEndpoint run(Sizes sizes, Cleanup scope) throws Exception {
    Progress progress = Progress.of("web_endpoint");
    String loadBefore = Wrk.loadAverage();
    AppRun run = scope.register(BenchFunctions.WEB_APP.run(RunOptions.quiet()));
    String skiffUrl = BenchFunctions.webHello.webUrl() + QUERY;
    progress.step("app running at " + skiffUrl);
    String path = URI.create(skiffUrl).getPath();
    String expected = "\"" + BenchFunctions.hello("x") + "\"";
    JettyBenchServer.GatewayLike bare =
        scope.register(JettyBenchServer.startLikeGateway(bareEndpoint(path)));
    String bareUrl = "http://127.0.0.1:" + bare.port() + path + QUERY;
    check("Skiff", skiffUrl, expected);
    check("bare Jetty", bareUrl, expected);
    progress.step("both answer " + expected);

    Wrk wrk = new Wrk("wrk", scope);
    int conns = Sizes.WEB_CONNECTIONS;
    int threads = Sizes.WEB_THREADS;
    wrk.run(skiffUrl, Optional.empty(), threads, conns, sizes.webWarmupS());
    int bareWarmupS = Math.min(sizes.webWarmupS(), Sizes.WEB_BARE_WARMUP_S);
    wrk.run(bareUrl, Optional.empty(), threads, conns, bareWarmupS);
    progress.step("warm-up, " + sizes.webWarmupS() + " s Skiff, " + bareWarmupS + " s bare");

    List<Wrk.Result> skiff = new ArrayList<>();
    List<Wrk.Result> baseline = new ArrayList<>();
    List<Wrk.Result> skiffSingle = new ArrayList<>();
    List<Wrk.Result> baselineSingle = new ArrayList<>();
    for (int i = 0; i < sizes.webRounds(); i++) {
      boolean skiffFirst = i % 2 == 0;
      for (int side = 0; side < 2; side++) {
        boolean isSkiff = (side == 0) == skiffFirst;
        Wrk.Result r =
            checked(
                wrk.run(
                    isSkiff ? skiffUrl : bareUrl,
                    Optional.empty(),
                    threads,
                    conns,
                    sizes.webRoundS()),
                isSkiff);
        (isSkiff ? skiff : baseline).add(r);
      }
      progress.step(
          String.format(
              Locale.ROOT,
              "round %d at %d connections: Skiff %s, bare %s",
              i + 1,
              conns,
              brief(skiff.getLast()),
              brief(baseline.getLast())));
    }
    for (int i = 0; i < sizes.webRounds(); i++) {
      boolean skiffFirst = i % 2 == 0;
      for (int side = 0; side < 2; side++) {
        boolean isSkiff = (side == 0) == skiffFirst;
        Wrk.Result r =
            checked(
                wrk.run(isSkiff ? skiffUrl : bareUrl, Optional.empty(), 1, 1, sizes.webSingleS()),
                isSkiff);
        (isSkiff ? skiffSingle : baselineSingle).add(r);
      }
      progress.step(
          String.format(
              Locale.ROOT,
              "round %d at 1 connection: Skiff %s, bare %s",
              i + 1,
              brief(skiffSingle.getLast()),
              brief(baselineSingle.getLast())));
    }
    bare.close();
    run.close();
    progress.step("closed");
    return new Measurement.WebEndpoint(
        conns,
        sizes.webRounds(),
        Wrk.median(skiff, Wrk.Result::p50Us),
        Wrk.median(skiff, Wrk.Result::p99Us),
        Wrk.median(skiff, Wrk.Result::requestsPerS),
        Wrk.median(baseline, Wrk.Result::p50Us),
        Wrk.median(baseline, Wrk.Result::p99Us),
        Wrk.median(baseline, Wrk.Result::requestsPerS),
        Wrk.median(skiffSingle, Wrk.Result::p50Us),
        Wrk.median(baselineSingle, Wrk.Result::p50Us),
        loadBefore,
        Wrk.loadAverage());
  }

  /**
   * The bare endpoint: at {@code path}, a GET's {@code name} query parameter answered as {@link
   * BenchFunctions#hello} would be, as a JSON string, with the same content type as the gateway's
   * answer. No input, no container.
   */
  private static Handler bareEndpoint(String path) {
    return new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        if (!path.equals(request.getHttpURI().getPath()) || !"GET".equals(request.getMethod())) {
          Response.writeError(request, response, callback, 404);
          return true;
        }
        Fields query = Request.extractQueryParameters(request);
        String name = query.getValue("name");
        byte[] answer =
            ("\"" + BenchFunctions.hello(name == null ? "" : name) + "\"")
                .getBytes(StandardCharsets.UTF_8);
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(answer), callback);
        return true;
      }
    };
  }

  /** One request through the JDK's client: must answer 200 with {@code expected}. */
  private static void check(String side, String url, String expected) throws Exception {
    try (HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build()) {
      HttpResponse<String> response =
          client.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200 || !response.body().equals(expected)) {
        throw new IllegalStateException(
            side
                + " at "
                + url
                + " answered "
                + response.statusCode()
                + " "
                + response.body()
                + "; expected 200 "
                + expected);
      }
    }
  }

  private static Wrk.Result checked(Wrk.Result r, boolean skiff) {
    if (r.errors() > 0) {
      throw new IllegalStateException(
          (skiff ? "Skiff's endpoint" : "the bare endpoint")
              + " had "
              + r.errors()
              + " non-2xx answers or socket errors in a round; all must be 2xx: "
              + r);
    }
    return r;
  }

  private static String brief(Wrk.Result r) {
    return String.format(
        Locale.ROOT, "%,.0f/s p50 %.0f us p99 %.0f us", r.requestsPerS(), r.p50Us(), r.p99Us());
  }

  private WebEndpointBenchmark() {}
}
