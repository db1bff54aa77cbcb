package dev.skiff.server.backend;

import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;

/**
 * What each container of a function asks of a node: CPU and memory to reserve and their limits,
 * GPUs in order of preference, and the regions it may run in. A function that declares none of them
 * reserves nothing and runs anywhere. What a {@link Placement} places; the control plane makes it
 * from the function's definition.
 *
 * @param milliCpuRequest thousandths of a core to reserve (0: none)
 * @param milliCpuLimit thousandths of a core it may use at most (0: no limit)
 * @param memoryRequestMib memory to reserve, in MiB (0: none)
 * @param memoryLimitMib memory it may use at most, in MiB (0: no limit)
 * @param gpus the GPU choices, most preferred first (empty: no GPU)
 * @param regions the regions whose nodes may run it (empty: any)
 */
public record ResourceRequest(
    long milliCpuRequest,
    long milliCpuLimit,
    long memoryRequestMib,
    long memoryLimitMib,
    List<GpuChoice> gpus,
    List<String> regions) {

  /** One entry of a GPU fallback list: {@code count} devices of one type. */
  public record GpuChoice(String type, int count) {
    /** Parses {@code "A100"} or {@code "A100:2"}; the type is compared without case. */
    public static GpuChoice parse(String spec) {
      int colon = spec.indexOf(':');
      String type = (colon < 0 ? spec : spec.substring(0, colon)).toUpperCase(Locale.ROOT);
      int count = colon < 0 ? 1 : Integer.parseInt(spec.substring(colon + 1));
      return new GpuChoice(type, count);
    }

    @Override
    public String toString() {
      return count + " x " + type;
    }
  }

  /** Copies the lists. */
  public ResourceRequest {
    gpus = List.copyOf(gpus);
    regions = List.copyOf(regions);
  }

  /** Cores as a short decimal, e.g. {@code 0.5} or {@code 2}. */
  public static String cores(long milli) {
    return milli % 1000 == 0
        ? Long.toString(milli / 1000)
        : BigDecimal.valueOf(milli, 3).stripTrailingZeros().toPlainString();
  }
}
