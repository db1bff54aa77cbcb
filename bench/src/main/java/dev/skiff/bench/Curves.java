package dev.skiff.bench;

import dev.skiff.AppRun;
import dev.skiff.RunOptions;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.IntStream;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * {@code bench/run --curves}: how a cost grows with its work, on the embedded control plane, each
 * curve written as CSV and drawn as a PNG chart (JFreeChart) under {@code bench/curves/}:
 *
 * <ul>
 *   <li>{@code latency_vs_callers}: p50 and p99 latency of sequential {@code remote} calls of a
 *       trivial function from 1..64 concurrent callers (virtual threads), and the calls per second
 *       they make together;
 *   <li>{@code map_vs_input_size}: ordered {@code map} throughput (inputs and MiB per second) for
 *       inputs of 10 B..1 MiB, each round capped at 64 MiB of input;
 *   <li>{@code memory_vs_queued}: the used heap of this JVM (the embedded control plane, after a
 *       full collection) with 10k..1M spawned inputs queued behind a busy function (10k..100k in
 *       the quick run);
 *   <li>{@code cold_start_vs_classpath}: the first call of a new embedded control plane's app (a
 *       container from nothing, with its class-data archive made by an untimed first sample) with
 *       0..400 extra jars on the classpath (0..100 in the quick run), median of 3.
 * </ul>
 */
final class Curves {
  static final Path OUT = Path.of("bench", "curves");
  static final int[] CALLERS = {1, 2, 4, 8, 16, 32, 64};
  static final int[] SIZES = {10, 100, 1_000, 10_000, 100_000, 1_000_000};

  static void run(boolean quick) throws Exception {
    Files.createDirectories(OUT);
    int callsPerCaller = quick ? 100 : 400;
    try (AppRun run = BenchFunctions.THROUGHPUT_APP.run(RunOptions.quiet().withMaxContainers(4))) {
      warm(2_000);
      latencyVsCallers(callsPerCaller);
      mapVsInputSize(quick ? 16 << 20 : 64 << 20);
    }
    memoryVsQueued(quick ? new int[] {10_000, 30_000, 100_000} : QUEUED);
    coldStartVsClasspath(quick ? new int[] {0, 25, 100} : EXTRA_JARS);
  }

  static final int[] QUEUED = {10_000, 30_000, 100_000, 300_000, 1_000_000};
  static final int[] EXTRA_JARS = {0, 25, 100, 400};

  private static void memoryVsQueued(int[] points) throws Exception {
    XYSeries heap = new XYSeries("heap MiB");
    List<String> csv = new ArrayList<>(List.of("queued,heap_mib,bytes_per_input"));
    try (AppRun run = BenchFunctions.QUEUE_APP.run(RunOptions.quiet())) {
      BenchFunctions.queueHold.remote(BenchFunctions.WARM); // its one container, then held
      double before = ProcessMemory.usedHeapAfterGcMib();
      int queued = 0;
      ExecutorService spawners = Executors.newVirtualThreadPerTaskExecutor();
      try {
        for (int point : points) {
          int more = point - queued;
          List<Future<?>> done = new ArrayList<>();
          for (int t = 0; t < 8; t++) {
            int share = more / 8 + (t < more % 8 ? 1 : 0);
            done.add(
                spawners.submit(
                    () -> {
                      for (int i = 0; i < share; i++) {
                        BenchFunctions.queueHold.spawn("queued");
                      }
                    }));
          }
          for (Future<?> f : done) {
            f.get();
          }
          queued = point;
          double mib = ProcessMemory.usedHeapAfterGcMib();
          double perInput = (mib - before) * 1024 * 1024 / queued;
          heap.add(queued, mib);
          csv.add(String.format(Locale.ROOT, "%d,%.1f,%.0f", queued, mib, perInput));
          System.err.printf(
              Locale.ROOT,
              "curves: %d queued: heap %.1f MiB (%.0f bytes per input above %.1f)%n",
              queued,
              mib,
              perInput,
              before);
        }
      } finally {
        spawners.shutdownNow();
      }
    }
    write("memory_vs_queued", csv);
    chart(
        "memory_vs_queued",
        "control-plane heap against queued inputs",
        "queued inputs",
        "heap MiB",
        heap);
  }

  private static void coldStartVsClasspath(int[] extraJars) throws Exception {
    XYSeries p50 = new XYSeries("first call ms");
    List<String> csv = new ArrayList<>(List.of("extra_jars,classpath_entries,first_call_ms"));
    String classpath = System.getProperty("java.class.path");
    Path dir = Files.createTempDirectory("skiff-bench-jars-");
    try (Cleanup scope = new Cleanup("cold_start_vs_classpath")) {
      for (int k : extraJars) {
        StringBuilder cp = new StringBuilder(classpath);
        for (int j = 0; j < k; j++) {
          cp.append(File.pathSeparator).append(jar(dir, j));
        }
        System.setProperty("java.class.path", cp.toString());
        try {
          ColdStartBenchmark.skiffSample(
              scope); // untimed: records the class list its archive is made from
          Thread.sleep(DUMP_PAUSE.toMillis());
          long[] nanos = {
            ColdStartBenchmark.skiffSample(scope)[1],
            ColdStartBenchmark.skiffSample(scope)[1],
            ColdStartBenchmark.skiffSample(scope)[1]
          };
          Arrays.sort(nanos);
          double ms = nanos[1] / 1e6;
          int entries = cp.toString().split(File.pathSeparator).length;
          p50.add(Math.max(1, entries), ms);
          csv.add(String.format(Locale.ROOT, "%d,%d,%.1f", k, entries, ms));
          System.err.printf(
              Locale.ROOT,
              "curves: first call with %d classpath entries (%d extra jars): %.1f ms%n",
              entries,
              k,
              ms);
        } finally {
          System.setProperty("java.class.path", classpath);
        }
      }
    } finally {
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.delete(f);
        }
      }
      Files.delete(dir);
    }
    write("cold_start_vs_classpath", csv);
    chart(
        "cold_start_vs_classpath",
        "first call of a container from nothing against classpath entries",
        "classpath entries",
        "ms",
        p50);
  }

  /** How long the class-data dump of a new classpath is given before the timed samples. */
  private static final Duration DUMP_PAUSE = Duration.ofSeconds(10);

  /** A small jar of its own (a few resources), as a dependency that is on the classpath. */
  private static Path jar(Path dir, int n) throws IOException {
    Path jar = dir.resolve("extra-" + n + ".jar");
    if (!Files.exists(jar)) {
      try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
        for (int i = 0; i < 20; i++) {
          out.putNextEntry(new JarEntry("extra" + n + "/r" + i + ".txt"));
          out.write(("resource " + i).getBytes(StandardCharsets.UTF_8));
          out.closeEntry();
        }
      }
    }
    return jar;
  }

  private static void warm(int calls) {
    for (int i = 0; i < calls; i++) {
      BenchFunctions.throughputEcho.remote("warm");
    }
  }

  private static void latencyVsCallers(int callsPerCaller) throws Exception {
    XYSeries p50 = new XYSeries("p50 (µs)");
    XYSeries p99 = new XYSeries("p99 (µs)");
    XYSeries rate = new XYSeries("calls/s");
    List<String> csv = new ArrayList<>(List.of("callers,p50_us,p99_us,calls_per_s"));
    // First at the most callers, untimed: the autoscaler starts every container the run allows
    // (they stay for the scale-down window), so that no point pays for container starts.
    callers(CALLERS[CALLERS.length - 1], callsPerCaller);
    for (int callers : CALLERS) {
      long start = System.nanoTime();
      long[] nanos = callers(callers, callsPerCaller);
      long elapsed = System.nanoTime() - start;
      Arrays.sort(nanos);
      double p50Us = nanos[nanos.length / 2] / 1e3;
      double p99Us = nanos[(int) Math.ceil(nanos.length * 0.99) - 1] / 1e3;
      double perS = nanos.length / (elapsed / 1e9);
      p50.add(callers, p50Us);
      p99.add(callers, p99Us);
      rate.add(callers, perS);
      csv.add(String.format(Locale.ROOT, "%d,%.0f,%.0f,%.0f", callers, p50Us, p99Us, perS));
      System.err.printf(
          Locale.ROOT,
          "curves: %d callers: p50 %.0f µs, p99 %.0f µs, %.0f calls/s%n",
          callers,
          p50Us,
          p99Us,
          perS);
    }
    write("latency_vs_callers", csv);
    chart(
        "latency_vs_callers",
        "remote latency against concurrent callers",
        "callers",
        "µs",
        p50,
        p99);
    chart(
        "calls_vs_callers",
        "remote calls per second against concurrent callers",
        "callers",
        "calls/s",
        rate);
  }

  /** Each of {@code callers} virtual threads makes {@code calls} sequential calls; their times. */
  private static long[] callers(int callers, int callsPerCaller) throws Exception {
    long[] nanos = new long[callers * callsPerCaller];
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> done = new ArrayList<>();
      for (int c = 0; c < callers; c++) {
        int from = c * callsPerCaller;
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < callsPerCaller; i++) {
                    long t = System.nanoTime();
                    String x = "c" + i;
                    if (!BenchFunctions.throughputEcho.remote(x).equals(x)) {
                      throw new IllegalStateException("a call returned another value");
                    }
                    nanos[from + i] = System.nanoTime() - t;
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    }
    return nanos;
  }

  private static void mapVsInputSize(long maxBytes) throws IOException {
    XYSeries perS = new XYSeries("inputs/s");
    XYSeries mibS = new XYSeries("MiB/s");
    List<String> csv = new ArrayList<>(List.of("input_bytes,inputs,inputs_per_s,mib_per_s"));
    for (int size : SIZES) {
      int n = (int) Math.max(16, Math.min(20_000, maxBytes / size));
      String payload = "x".repeat(size);
      List<String> inputs = IntStream.range(0, n).mapToObj(i -> payload).toList();
      List<String> warm = inputs.subList(0, Math.min(n, 200));
      if (!BenchFunctions.throughputEcho.map(warm).toList().equals(warm)) {
        throw new IllegalStateException("a warm-up map returned other results than its inputs");
      }
      long start = System.nanoTime();
      List<String> out = BenchFunctions.throughputEcho.map(inputs).toList();
      double seconds = (System.nanoTime() - start) / 1e9;
      if (out.size() != n || !out.get(n - 1).equals(payload)) {
        throw new IllegalStateException("map returned other results than its inputs");
      }
      double rate = n / seconds;
      double mib = rate * size / (1024.0 * 1024.0);
      perS.add(size, rate);
      mibS.add(size, mib);
      csv.add(String.format(Locale.ROOT, "%d,%d,%.0f,%.1f", size, n, rate, mib));
      System.err.printf(
          Locale.ROOT,
          "curves: map of %d inputs of %d B: %.0f inputs/s, %.1f MiB/s%n",
          n,
          size,
          rate,
          mib);
    }
    write("map_vs_input_size", csv);
    chart(
        "map_inputs_vs_input_size",
        "map inputs per second against input size",
        "input bytes",
        "inputs/s",
        perS);
    chart(
        "map_mib_vs_input_size",
        "map MiB per second against input size",
        "input bytes",
        "MiB/s",
        mibS);
  }

  private static void write(String name, List<String> lines) throws IOException {
    Files.write(OUT.resolve(name + ".csv"), lines, StandardCharsets.UTF_8);
  }

  private static void chart(String name, String title, String x, String y, XYSeries... series)
      throws IOException {
    XYSeriesCollection data = new XYSeriesCollection();
    for (XYSeries s : series) {
      data.addSeries(s);
    }
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            title, x, y, data, PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    // Both axes logarithmic: the work grows by factors, and the costs span decades.
    LogAxis domain = new LogAxis(x);
    domain.setBase(10);
    domain.setNumberFormatOverride(new DecimalFormat("#,##0"));
    plot.setDomainAxis(domain);
    LogAxis range = new LogAxis(y);
    range.setNumberFormatOverride(new DecimalFormat("#,##0.#"));
    plot.setRangeAxis(range);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
    for (int i = 0; i < series.length; i++) {
      renderer.setSeriesStroke(i, new BasicStroke(2f));
    }
    plot.setRenderer(renderer);
    ChartUtils.saveChartAsPNG(OUT.resolve(name + ".png").toFile(), chart, 720, 400);
  }

  private Curves() {}
}
