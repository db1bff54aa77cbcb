package dev.skiff.bench;

import java.io.BufferedReader;
import java.io.IOException;
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
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
  private static final Pattern PERCENTILE =
      Pattern.compile("^\\s*(50|99)(?:\\.000)?%\\s+([0-9.]+)(us|ms|s)\\s*$");
  private static final Pattern REQUESTS_PER_S = Pattern.compile("^Requests/sec:\\s+([0-9.]+)");
  private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses:\\s+(\\d+)");
  private static final Pattern SOCKET_ERRORS =
      Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
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

  /** One wrk run's figures. */
  record WrkResult(double requestsPerS, double p50Us, double p99Us, long errors) {}

  private final int rounds;
  private final int seconds;
  private final int warmup;
  private final int connections;
  private final String wrk;
  private final Cleanup cleanup = new Cleanup("http-servers");

  private HttpServerComparison(Map<String, String> options) {
    this.rounds = Integer.parseInt(options.getOrDefault("rounds", "3"));
    this.seconds = Integer.parseInt(options.getOrDefault("seconds", "8"));
    this.warmup = Integer.parseInt(options.getOrDefault("warmup", "5"));
    this.connections = Integer.parseInt(options.getOrDefault("connections", "64"));
    this.wrk = options.getOrDefault("wrk", "wrk");
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
    String loadBefore = loadAverage();
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
    Map<Contender, List<WrkResult>> results = new LinkedHashMap<>();
    CONTENDERS.forEach(c -> results.put(c, new ArrayList<>()));
    for (int round = 0; round < rounds; round++) {
      for (int i = 0; i < CONTENDERS.size(); i++) {
        // Alternate who goes first, so that no server always follows the same one.
        Contender contender = CONTENDERS.get((i + round) % CONTENDERS.size());
        WrkResult result = wrk(ports.get(contender), lua, 2, connections, seconds);
        results.get(contender).add(result);
        log(String.format(Locale.ROOT, "round %d %s: %s", round + 1, contender.name(), result));
      }
    }
    Map<Contender, WrkResult> single = new LinkedHashMap<>();
    for (Contender contender : CONTENDERS) {
      WrkResult result = wrk(ports.get(contender), lua, 1, 1, Math.max(3, seconds / 2));
      single.put(contender, result);
      log(String.format(Locale.ROOT, "1 connection %s: %s", contender.name(), result));
    }
    Map<Contender, Double> rss = new LinkedHashMap<>();
    processes.forEach((c, p) -> rss.put(c, ProcessMemory.rssMib(p.pid())));
    String loadAfter = loadAverage();
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

  /** Runs wrk for {@code seconds}, killed if it overruns by 15 s, and parses what it printed. */
  private WrkResult wrk(int port, Path lua, int threads, int conns, int seconds) throws Exception {
    List<String> command =
        List.of(
            wrk,
            "-t" + threads,
            "-c" + conns,
            "-d" + seconds + "s",
            "--timeout",
            "5s",
            "--latency",
            "-s",
            lua.toString(),
            "http://127.0.0.1:" + port + HttpBenchEndpoint.PATH);
    Process process;
    try {
      process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .start();
    } catch (IOException e) {
      throw new IllegalStateException(
          "could not start wrk (" + wrk + "; install it, or pass --wrk PATH): " + e, e);
    }
    try (ChildProcess child = ChildProcess.of("wrk", process, cleanup)) {
      String output = readAll(process, seconds + 15);
      if (process.exitValue() != 0) {
        throw new IllegalStateException("wrk exited " + process.exitValue() + ":\n" + output);
      }
      return parse(output);
    }
  }

  private static String readAll(Process process, long limitS) throws Exception {
    StringBuilder output = new StringBuilder();
    Thread reader =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    output.append(
                        new String(
                            process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                  } catch (IOException e) {
                    // The process was killed; its output is incomplete.
                  }
                });
    if (!process.waitFor(limitS, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException("wrk still running after " + limitS + " s; killed");
    }
    reader.join(TimeUnit.SECONDS.toMillis(5));
    return output.toString();
  }

  static WrkResult parse(String output) {
    double p50 = Double.NaN;
    double p99 = Double.NaN;
    double perS = Double.NaN;
    long errors = 0;
    for (String line : output.split("\n")) {
      Matcher m = PERCENTILE.matcher(line);
      if (m.matches()) {
        double value = Double.parseDouble(m.group(2));
        double us =
            switch (m.group(3)) {
              case "us" -> value;
              case "ms" -> value * 1_000;
              default -> value * 1_000_000;
            };
        if (m.group(1).equals("50")) {
          p50 = us;
        } else {
          p99 = us;
        }
      }
      m = REQUESTS_PER_S.matcher(line);
      if (m.find()) {
        perS = Double.parseDouble(m.group(1));
      }
      m = NON_2XX.matcher(line);
      if (m.find()) {
        errors += Long.parseLong(m.group(1));
      }
      m = SOCKET_ERRORS.matcher(line);
      if (m.find()) {
        for (int g = 1; g <= 4; g++) {
          errors += Long.parseLong(m.group(g));
        }
      }
    }
    if (Double.isNaN(p50) || Double.isNaN(p99) || Double.isNaN(perS)) {
      throw new IllegalStateException("could not read wrk's output:\n" + output);
    }
    return new WrkResult(perS, p50, p99, errors);
  }

  private void report(
      Map<Contender, List<WrkResult>> results,
      Map<Contender, WrkResult> single,
      Map<Contender, Double> rss,
      String loadBefore,
      String loadAfter,
      double elapsedS) {
    Contender baseline = CONTENDERS.get(0);
    double basePerS = median(results.get(baseline), WrkResult::requestsPerS);
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
      List<WrkResult> rs = results.get(contender);
      double perS = median(rs, WrkResult::requestsPerS);
      WrkResult one = single.get(contender);
      long errors = rs.stream().mapToLong(WrkResult::errors).sum() + one.errors();
      System.out.printf(
          Locale.ROOT,
          "  %-15s %,9.0f %9.3f %9.3f %6.2fx  %,9.0f %9.3f %9.3f  %7.1f  %d%n",
          contender.name(),
          perS,
          median(rs, WrkResult::p50Us) / 1000,
          median(rs, WrkResult::p99Us) / 1000,
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
      for (WrkResult r : results.get(contender)) {
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
      List<WrkResult> rs = results.get(contender);
      WrkResult one = single.get(contender);
      System.out.printf(
          Locale.ROOT,
          "{\"bench\":\"http_server\",\"server\":\"%s\",\"per_s\":%.1f,\"p50_us\":%.0f,"
              + "\"p99_us\":%.0f,\"single_per_s\":%.1f,\"single_p50_us\":%.0f,"
              + "\"single_p99_us\":%.0f,\"rss_mib\":%.1f}%n",
          contender.name(),
          median(rs, WrkResult::requestsPerS),
          median(rs, WrkResult::p50Us),
          median(rs, WrkResult::p99Us),
          one.requestsPerS(),
          one.p50Us(),
          one.p99Us(),
          rss.get(contender));
    }
  }

  private static double median(List<WrkResult> results, ToDoubleFunction<WrkResult> figure) {
    double[] values = results.stream().mapToDouble(figure).sorted().toArray();
    int n = values.length;
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  }

  private static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return fields[0] + " " + fields[1] + " " + fields[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private static void log(String message) {
    System.err.println("http-servers: " + message);
  }
}
