package dev.skiff.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the HTTP load generator {@code wrk} (Debian's {@code wrk}) against one URL and reads its
 * figures, for {@link HttpServerComparison} and {@link WebEndpointBenchmark}. Each run is a child
 * process registered with a {@link Cleanup} scope, killed if it overruns its duration by {@link
 * #GRACE_S} seconds.
 */
final class Wrk {
  /** How long past its {@code -d} a run may take before it is killed. */
  static final int GRACE_S = 15;

  private static final Pattern PERCENTILE =
      Pattern.compile("^\\s*(50|99)(?:\\.000)?%\\s+([0-9.]+)(us|ms|s)\\s*$");
  private static final Pattern REQUESTS_PER_S = Pattern.compile("^Requests/sec:\\s+([0-9.]+)");
  private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses:\\s+(\\d+)");
  private static final Pattern SOCKET_ERRORS =
      Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

  /**
   * One run's figures.
   *
   * @param errors non-2xx/3xx responses and socket errors (connect, read, write, timeout)
   */
  record Result(double requestsPerS, double p50Us, double p99Us, long errors) {}

  private final String executable;
  private final Cleanup cleanup;

  /**
   * @param executable {@code wrk}, or a path to it
   * @param cleanup the scope in which each run's process is registered
   */
  Wrk(String executable, Cleanup cleanup) {
    this.executable = executable;
    this.cleanup = cleanup;
  }

  /**
   * Runs {@code wrk -t threads -c conns -d seconds --latency [-s lua] url} and parses its output.
   *
   * @param lua a Lua script (e.g. a POST with a body), or empty for plain {@code GET}s
   * @throws IllegalStateException if wrk cannot start, fails, overruns, or prints no figures
   */
  Result run(String url, Optional<Path> lua, int threads, int conns, int seconds)
      throws InterruptedException {
    List<String> command = new ArrayList<>();
    command.addAll(
        List.of(
            executable,
            "-t" + threads,
            "-c" + conns,
            "-d" + seconds + "s",
            "--timeout",
            "5s",
            "--latency"));
    lua.ifPresent(script -> command.addAll(List.of("-s", script.toString())));
    command.add(url);
    Process process;
    try {
      process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .start();
    } catch (IOException e) {
      throw new IllegalStateException(
          "could not start wrk (" + executable + "; install Debian's wrk): " + e, e);
    }
    try (ChildProcess child = ChildProcess.of("wrk", process, cleanup)) {
      String output = readAll(process, seconds + GRACE_S);
      if (process.exitValue() != 0) {
        throw new IllegalStateException("wrk exited " + process.exitValue() + ":\n" + output);
      }
      return parse(output);
    }
  }

  private static String readAll(Process process, long limitS) throws InterruptedException {
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

  /**
   * Reads requests/s, p50, p99 (in µs) and the error counts from wrk's {@code --latency} output.
   */
  static Result parse(String output) {
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
    return new Result(perS, p50, p99, errors);
  }

  /** The median of one figure over runs (the mean of the middle two for an even count). */
  static double median(List<Result> results, ToDoubleFunction<Result> figure) {
    double[] values = results.stream().mapToDouble(figure).sorted().toArray();
    int n = values.length;
    if (n == 0) {
      return Double.NaN;
    }
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  }

  /** The machine's 1, 5 and 15 minute load averages, or {@code unknown}. */
  static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return fields[0] + " " + fields[1] + " " + fields[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
