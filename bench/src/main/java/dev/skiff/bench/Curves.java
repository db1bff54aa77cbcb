package dev.skiff.bench;

import dev.skiff.AppRun;
import dev.skiff.RunOptions;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
 *       inputs of 10 B..1 MiB, each round capped at 64 MiB of input.
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
