package dev.skiff.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Compares three HTTP servers for Skiff's web gateway on a trivial endpoint: the JDK's {@code
 * com.sun.net.httpserver} (today's gateway, the baseline), Jetty 12 core and Helidon SE 4
 * WebServer. Each server runs in a child JVM of its own on the same JDK, serving {@code POST /echo}
 * (a small JSON body read fully, a small JSON body answered) on virtual threads, on loopback.
 * {@code wrk} drives them: a warm-up per server, then alternating rounds at 64 connections, then
 * one round per server at 1 connection. Prints a table of medians on stdout, and one JSON line per
 * server; progress on stderr. Every child process (servers and {@code wrk}) is bounded in time and
 * killed at the end, also on failure; a watchdog ends the run after {@link #WATCHDOG_S} seconds.
 *
 * <p>Options: {@code --rounds N} (3), {@code --seconds S} per round (8), {@code --warmup S} (5),
 * {@code --connections C} (64), {@code --wrk PATH} (wrk).
 */
public final class HttpServerComparison {
  private static final long WATCHDOG_S = 240;
  private static final String LUA =
      """
      wrk.method = "POST"
      wrk.body = '%s'
      wrk.headers["Content-Type"] = "application/json"
      """;

  /** One server under test: its display name and its main class. */
  private record Contender(String name, Class<?> main) {}

  private static final List<Contender> CONTENDERS =
      List.of(
          new Contender("jdk-httpserver", JdkHttpBenchServer.class),
          new Contender("jetty-12", JettyBenchServer.class),
          new Contender("helidon-4", HelidonBenchServer.class));

  private final int rounds;
  private final int seconds;
  private final int warmup;
  private final int connections;
  private final Cleanup cleanup = new Cleanup("http-servers");
  private final Wrk wrk;

  private HttpServerComparison(Map<String, String> options) {
    this.rounds = Integer.parseInt(options.getOrDefault("rounds", "3"));
    this.seconds = Integer.parseInt(options.getOrDefault("seconds", "8"));
    this.warmup = Integer.parseInt(options.getOrDefault("warmup", "5"));
    this.connections = Integer.parseInt(options.getOrDefault("connections", "64"));
    this.wrk = new Wrk(options.getOrDefault("wrk", "wrk"), cleanup);
  }

  /** Runs the comparison; exits 1 on failure. */
  public static void main(String[] args) throws Exception {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        System.err.println(
            "usage: HttpServerComparison [--rounds N] [--seconds S] [--warmup S]"
                + " [--connections C] [--wrk PATH]; got: "
                + Arrays.toString(args));
        System.exit(2);
      }
      options.put(args[i].substring(2), args[++i]);
    }
    HttpServerComparison comparison = new HttpServerComparison(options);
    Runtime.getRuntime().addShutdownHook(new Thread(comparison.cleanup::close));
    Thread watchdog =
        Thread.ofPlatform()
            .daemon()
            .start(
                () -> {
                  try {
                    Thread.sleep(TimeUnit.SECONDS.toMillis(WATCHDOG_S));
                  } catch (InterruptedException e) {
                    return;
                  }
                  System.err.println(
                      "http-servers: watchdog: still running after " + WATCHDOG_S + " s; stopping");
                  comparison.cleanup.close();
                  Runtime.getRuntime().halt(1);
                });
    int status = 1;
    try {
      comparison.run();
      status = 0;
    } catch (Exception e) {
      System.err.println("http-servers: FAILED: " + e);
      e.printStackTrace();
    } finally {
      comparison.cleanup.close();
      watchdog.interrupt();
    }
    System.exit(status);
  }

  private void run() throws Exception {
    long started = System.nanoTime();
    String loadBefore = Wrk.loadAverage();
    log("load average before: " + loadBefore);
    Path lua = Files.createTempFile("skiff-http-bench", ".lua");
    AutoCloseable deleteLua = () -> Files.deleteIfExists(lua);
    cleanup.register(deleteLua);
    Files.writeString(lua, LUA.formatted(HttpBenchEndpoint.REQUEST_BODY));

    Map<Contender, ChildProcess> processes = new LinkedHashMap<>();
    Map<Contender, Integer> ports = new LinkedHashMap<>();
    for (Contender contender : CONTENDERS) {
      long t0 = System.nanoTime();
      ChildProcess process = startServer(contender);
      processes.put(contender, process);
      ports.put(contender, readPort(process, contender));
      check(contender, ports.get(contender));
      log(
          String.format(
              Locale.ROOT,
              "%s: pid %d, port %d, serving after %.0f ms",
              contender.name(),
              process.pid(),
              ports.get(contender),
              (System.nanoTime() - t0) / 1e6));
    }

    for (Contender contender : CONTENDERS) {
      log(contender.name() + ": warm-up " + warmup + " s at " + connections + " connections");
      wrk(ports.get(contender), lua, 2, connections, warmup);
    }
    Map<Contender, List<Wrk.Result>> results = new LinkedHashMap<>();
    CONTENDERS.forEach(c -> results.put(c, new ArrayList<>()));
    for (int round = 0; round < rounds; round++) {
      for (int i = 0; i < CONTENDERS.size(); i++) {
        // Alternate who goes first, so that no server always follows the same one.
        Contender contender = CONTENDERS.get((i + round) % CONTENDERS.size());
        Wrk.Result result = wrk(ports.get(contender), lua, 2, connections, seconds);
        results.get(contender).add(result);
        log(String.format(Locale.ROOT, "round %d %s: %s", round + 1, contender.name(), result));
      }
    }
    Map<Contender, Wrk.Result> single = new LinkedHashMap<>();
    for (Contender contender : CONTENDERS) {
      Wrk.Result result = wrk(ports.get(contender), lua, 1, 1, Math.max(3, seconds / 2));
      single.put(contender, result);
      log(String.format(Locale.ROOT, "1 connection %s: %s", contender.name(), result));
    }
    Map<Contender, Double> rss = new LinkedHashMap<>();
    processes.forEach((c, p) -> rss.put(c, ProcessMemory.rssMib(p.pid())));
    String loadAfter = Wrk.loadAverage();
    report(results, single, rss, loadBefore, loadAfter, (System.nanoTime() - started) / 1e9);
  }

  private ChildProcess startServer(Contender contender) {
    List<String> command =
        List.of(
            ChildProcess.javaExecutable().toString(),
            "-Xmx512m",
            "-cp",
            System.getProperty("java.class.path"),
            contender.main().getName());
    return ChildProcess.start(contender.name(), command, cleanup);
  }

  /** Reads the {@code PORT} line, waiting at most 30 s. */
  private static int readPort(ChildProcess process, Contender contender) throws Exception {
    BufferedReader reader =
        new BufferedReader(
            new InputStreamReader(process.process().getInputStream(), StandardCharsets.UTF_8));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Thread reading =
        Thread.ofVirtual()
            .start(
                () -> {
                  // Closes the child's stdout if the port takes too long, which ends readLine.
                  try {
                    Thread.sleep(TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
                    process.close();
                  } catch (InterruptedException e) {
                    // The port came in time.
                  }
                });
    try {
      String line;
      while ((line = reader.readLine()) != null) {
        if (line.startsWith(EchoServer.PORT_PREFIX)) {
          return Integer.parseInt(line.substring(EchoServer.PORT_PREFIX.length()).trim());
        }
      }
    } finally {
      reading.interrupt();
    }
    throw new IllegalStateException(
        contender.name() + " did not print its port within 30 s (or exited)");
  }

  /** One request through the JDK's client: the endpoint must answer 200 with the expected body. */
  private static void check(Contender contender, int port) throws Exception {
    try (HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build()) {
      HttpResponse<String> response =
          client.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + port + HttpBenchEndpoint.PATH))
                  .timeout(Duration.ofSeconds(10))
                  .header("Content-Type", HttpBenchEndpoint.CONTENT_TYPE)
                  .POST(HttpRequest.BodyPublishers.ofString(HttpBenchEndpoint.REQUEST_BODY))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      String expected =
          new String(
              HttpBenchEndpoint.answer(HttpBenchEndpoint.REQUEST_BODY.length()),
              StandardCharsets.UTF_8);
      if (response.statusCode() != 200 || !response.body().equals(expected)) {
        throw new IllegalStateException(
            contender.name()
                + " answered "
                + response.statusCode()
                + " "
                + response.body()
                + ", expected 200 "
                + expected);
      }
    }
  }

  /** Runs wrk against the server's endpoint with the POST script. */
  private Wrk.Result wrk(int port, Path lua, int threads, int conns, int seconds)
      throws InterruptedException {
    return wrk.run(
        "http://127.0.0.1:" + port + HttpBenchEndpoint.PATH,
        Optional.of(lua),
        threads,
        conns,
        seconds);
  }

  private void report(
      Map<Contender, List<Wrk.Result>> results,
      Map<Contender, Wrk.Result> single,
      Map<Contender, Double> rss,
      String loadBefore,
      String loadAfter,
      double elapsedS) {
    Contender baseline = CONTENDERS.get(0);
    double basePerS = Wrk.median(results.get(baseline), Wrk.Result::requestsPerS);
    System.out.printf(
        Locale.ROOT,
        "HTTP servers, POST %s (%d B JSON in, small JSON out), %d cores, Java %s, %.0f s;"
            + " load average %s before, %s after%n",
        HttpBenchEndpoint.PATH,
        HttpBenchEndpoint.REQUEST_BODY.length(),
        Runtime.getRuntime().availableProcessors(),
        Runtime.version(),
        elapsedS,
        loadBefore,
        loadAfter);
    System.out.printf(
        Locale.ROOT,
        "  %d connections: median of %d rounds of %d s; 1 connection: one round; ratio = req/s"
            + " / %s's%n",
        connections,
        rounds,
        seconds,
        baseline.name());
    System.out.printf(
        Locale.ROOT,
        "  %-15s %9s %9s %9s %7s  %9s %9s %9s  %7s  %s%n",
        "server",
        "req/s",
        "p50 ms",
        "p99 ms",
        "ratio",
        "1c req/s",
        "1c p50",
        "1c p99",
        "RSS MiB",
        "errors");
    for (Contender contender : CONTENDERS) {
      List<Wrk.Result> rs = results.get(contender);
      double perS = Wrk.median(rs, Wrk.Result::requestsPerS);
      Wrk.Result one = single.get(contender);
      long errors = rs.stream().mapToLong(Wrk.Result::errors).sum() + one.errors();
      System.out.printf(
          Locale.ROOT,
          "  %-15s %,9.0f %9.3f %9.3f %6.2fx  %,9.0f %9.3f %9.3f  %7.1f  %d%n",
          contender.name(),
          perS,
          Wrk.median(rs, Wrk.Result::p50Us) / 1000,
          Wrk.median(rs, Wrk.Result::p99Us) / 1000,
          perS / basePerS,
          one.requestsPerS(),
          one.p50Us() / 1000,
          one.p99Us() / 1000,
          rss.get(contender),
          errors);
    }
    System.out.println();
    for (Contender contender : CONTENDERS) {
      StringBuilder rounds = new StringBuilder();
      for (Wrk.Result r : results.get(contender)) {
        rounds.append(
            String.format(
                Locale.ROOT,
                " %.0f/s p50 %.0fus p99 %.0fus;",
                r.requestsPerS(),
                r.p50Us(),
                r.p99Us()));
      }
      System.out.println("  - " + contender.name() + " rounds:" + rounds);
    }
    System.out.println();
    for (Contender contender : CONTENDERS) {
      List<Wrk.Result> rs = results.get(contender);
      Wrk.Result one = single.get(contender);
      System.out.printf(
          Locale.ROOT,
          "{\"bench\":\"http_server\",\"server\":\"%s\",\"per_s\":%.1f,\"p50_us\":%.0f,"
              + "\"p99_us\":%.0f,\"single_per_s\":%.1f,\"single_p50_us\":%.0f,"
              + "\"single_p99_us\":%.0f,\"rss_mib\":%.1f}%n",
          contender.name(),
          Wrk.median(rs, Wrk.Result::requestsPerS),
          Wrk.median(rs, Wrk.Result::p50Us),
          Wrk.median(rs, Wrk.Result::p99Us),
          one.requestsPerS(),
          one.p50Us(),
          one.p99Us(),
          rss.get(contender));
    }
  }

  private static void log(String message) {
    System.err.println("http-servers: " + message);
  }
}
