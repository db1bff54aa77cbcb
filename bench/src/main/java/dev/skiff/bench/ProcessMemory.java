package dev.skiff.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Memory figures of processes, read from Linux's {@code /proc} and from this JVM's heap. */
final class ProcessMemory {
  private static final String CONTAINER_MARK = "-Dskiff.container=";

  /** The resident set size ({@code VmRSS}) of process {@code pid}, in MiB. */
  static double rssMib(long pid) {
    Path status = Path.of("/proc", Long.toString(pid), "status");
    List<String> lines;
    try {
      lines = Files.readAllLines(status, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + status + " (Linux only): " + e, e);
    }
    for (String line : lines) {
      if (line.startsWith("VmRSS:")) {
        String[] parts = line.substring("VmRSS:".length()).trim().split("\\s+", -1);
        return Long.parseLong(parts[0]) / 1024.0; // the kernel reports kB
      }
    }
    throw new IllegalStateException(status + " has no VmRSS line");
  }

  /** This JVM's resident set size, in MiB. */
  static double selfRssMib() {
    return rssMib(ProcessHandle.current().pid());
  }

  /**
   * This JVM's heap in use after a full collection, in MiB. {@code System.gc()} is a request, so it
   * is made twice; the figure is still approximate.
   */
  static double usedHeapAfterGcMib() {
    Runtime runtime = Runtime.getRuntime();
    System.gc();
    System.gc();
    return (runtime.totalMemory() - runtime.freeMemory()) / (1024.0 * 1024.0);
  }

  /**
   * The process ids of this JVM's descendants that run Skiff's container entrypoint: the JVMs, not
   * the bubblewrap processes of a sandbox (whose command lines hold the JVM's).
   */
  static List<Long> containerPids() {
    return ProcessHandle.current()
        .descendants()
        .filter(p -> commandLine(p).contains(CONTAINER_MARK))
        .filter(p -> !p.info().command().orElse("").endsWith("/bwrap"))
        .map(ProcessHandle::pid)
        .toList();
  }

  private static String commandLine(ProcessHandle process) {
    Path cmdline = Path.of("/proc", Long.toString(process.pid()), "cmdline");
    try {
      return new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8);
    } catch (IOException e) {
      // Gone already, or not Linux: fall back to what the JDK knows.
      return process.info().commandLine().orElse("");
    }
  }

  private ProcessMemory() {}
}
