package dev.skiff.server.backend.local;

import dev.skiff.server.backend.ContainerHandle.Usage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The CPU time and resident memory of a process and its descendants (a container's sandbox and
 * JVM), read from Linux's {@code /proc}: {@code stat}'s user and system times (in clock ticks of
 * {@value #TICKS_PER_SECOND} per second, the kernel's USER_HZ) and {@code statm}'s resident pages
 * (of {@value #PAGE_BYTES} bytes). A process that ends while it is read counts as nothing.
 * Stateless.
 */
final class ProcessTreeUsage {
  static final int TICKS_PER_SECOND = 100;
  static final int PAGE_BYTES = 4096;
  private static final Path PROC = Path.of("/proc");

  private ProcessTreeUsage() {}

  /** What {@code root} and its descendants use now; empty where {@code /proc} cannot tell. */
  static Optional<Usage> of(ProcessHandle root) {
    if (!Files.isDirectory(PROC.resolve(Long.toString(root.pid())))) {
      return Optional.empty();
    }
    long ticks = 0;
    long pages = 0;
    List<ProcessHandle> tree = Stream.concat(Stream.of(root), root.descendants()).toList();
    for (ProcessHandle p : tree) {
      Path dir = PROC.resolve(Long.toString(p.pid()));
      try {
        ticks += cpuTicks(Files.readString(dir.resolve("stat"), StandardCharsets.US_ASCII));
        pages += residentPages(Files.readString(dir.resolve("statm"), StandardCharsets.US_ASCII));
      } catch (IOException | RuntimeException e) {
        // It ended meanwhile, or is not ours to read: it counts as nothing.
      }
    }
    return Optional.of(new Usage(ticks * 1000 / TICKS_PER_SECOND, pages * PAGE_BYTES));
  }

  /** utime + stime of a {@code /proc/PID/stat} line (fields 14 and 15, after the command). */
  static long cpuTicks(String stat) {
    // The command (field 2) is in parentheses and may hold spaces: count from its end.
    String[] rest = stat.substring(stat.lastIndexOf(')') + 2).strip().split(" ");
    // rest[0] is field 3 (state): utime is field 14, stime field 15.
    return Long.parseLong(rest[11]) + Long.parseLong(rest[12]);
  }

  /** The resident pages of a {@code /proc/PID/statm} line (its second field). */
  static long residentPages(String statm) {
    return Long.parseLong(statm.strip().split(" ")[1]);
  }
}
