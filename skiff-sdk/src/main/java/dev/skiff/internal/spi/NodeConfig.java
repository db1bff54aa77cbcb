package dev.skiff.internal.spi;

import com.sun.management.OperatingSystemMXBean;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the local node offers containers: CPU cores and memory that requests reserve, the GPUs that
 * are handed out whole to one container each, and the region label that {@code region(...)}
 * matches. Immutable; change one value with a {@code with...} method.
 *
 * @param cpus the cores that requests may reserve (> 0)
 * @param memoryMib the memory that requests may reserve, in MiB (> 0)
 * @param region the node's region label, e.g. {@code "local"} or {@code "eu-west-1"}
 * @param gpus the node's GPUs by device index: {@code gpus.get(i)} is the type of device {@code i},
 *     e.g. {@code ["A100", "A100"]}
 */
public record NodeConfig(double cpus, long memoryMib, String region, List<String> gpus) {
  /** The region label of a node that was not given one. */
  public static final String DEFAULT_REGION = "local";

  private static final Pattern REGION = Pattern.compile("[a-z0-9][a-z0-9\\-]*");
  private static final Pattern GPU_TYPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9\\-]*");

  /** Checks the values and copies the list. */
  public NodeConfig {
    if (!(cpus > 0) || Double.isInfinite(cpus)) {
      throw new IllegalArgumentException("node cpus must be > 0, was " + cpus);
    }
    if (memoryMib <= 0) {
      throw new IllegalArgumentException("node memoryMib must be > 0, was " + memoryMib);
    }
    Objects.requireNonNull(region, "region");
    if (!REGION.matcher(region).matches()) {
      throw new IllegalArgumentException(
          "node region '" + region + "' is not allowed; use [a-z0-9-] such as \"eu-west-1\"");
    }
    gpus = List.copyOf(gpus);
    for (String g : gpus) {
      if (!GPU_TYPE.matcher(g).matches()) {
        throw new IllegalArgumentException(
            "node GPU type '" + g + "' is not allowed; use a name such as \"A100\"");
      }
    }
  }

  /**
   * This machine: its cores, its physical memory, the region {@code "local"}, and the GPUs that
   * {@code nvidia-smi} lists (none when it is absent). Detected once per JVM.
   */
  public static NodeConfig detect() {
    return Detected.NODE;
  }

  /** This node with another number of cores. */
  public NodeConfig withCpus(double n) {
    return new NodeConfig(n, memoryMib, region, gpus);
  }

  /** This node with another amount of memory, in MiB. */
  public NodeConfig withMemoryMib(long mib) {
    return new NodeConfig(cpus, mib, region, gpus);
  }

  /** This node with another region label. */
  public NodeConfig withRegion(String label) {
    return new NodeConfig(cpus, memoryMib, label, gpus);
  }

  /** This node with a declared GPU inventory (device {@code i} has type {@code types.get(i)}). */
  public NodeConfig withGpus(List<String> types) {
    return new NodeConfig(cpus, memoryMib, region, types);
  }

  /**
   * The GPU type in a name that {@code nvidia-smi} prints, e.g. {@code "NVIDIA H100 80GB HBM3"} is
   * {@code "H100"} and {@code "Tesla T4"} is {@code "T4"}: the first word made of letters followed
   * by digits (and perhaps more letters), else the name without spaces.
   */
  static String gpuType(String name) {
    Matcher m = Pattern.compile("\\b([A-Za-z]+[0-9]+[A-Za-z]*)\\b").matcher(name);
    while (m.find()) {
      String word = m.group(1);
      if (!word.toUpperCase(Locale.ROOT).matches("\\d+GB")) {
        return word.toUpperCase(Locale.ROOT);
      }
    }
    return name.replaceAll("[^A-Za-z0-9\\-]", "");
  }

  private static final class Detected {
    static final NodeConfig NODE =
        new NodeConfig(
            Runtime.getRuntime().availableProcessors(), memoryMib(), DEFAULT_REGION, nvidiaGpus());

    private static long memoryMib() {
      if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
        return Math.max(1, os.getTotalMemorySize() / (1024 * 1024));
      }
      return Math.max(1, Runtime.getRuntime().maxMemory() / (1024 * 1024));
    }

    /** The GPUs by index from {@code nvidia-smi}, or none if it is absent or fails. */
    private static List<String> nvidiaGpus() {
      List<String> types = new ArrayList<>();
      try {
        Process p =
            new ProcessBuilder("nvidia-smi", "--query-gpu=index,name", "--format=csv,noheader")
                .redirectErrorStream(true)
                .start();
        p.getOutputStream().close();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r =
            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = r.readLine()) != null) {
            lines.add(line);
          }
        }
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
          p.destroyForcibly();
          return List.of();
        }
        for (String line : lines) {
          int comma = line.indexOf(',');
          if (comma > 0) {
            types.add(gpuType(line.substring(comma + 1).trim()));
          }
        }
        return types;
      } catch (IOException | RuntimeException e) {
        return List.of(); // no nvidia-smi: no GPUs
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return List.of();
      }
    }
  }
}
