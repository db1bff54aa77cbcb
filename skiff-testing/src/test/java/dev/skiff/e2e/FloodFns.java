package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function1;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A function that floods its logs, and one of another app that is called meanwhile. */
final class FloodFns {
  static final App floodApp = App.named("log-flood");
  static final App steadyApp = App.named("log-steady");

  /** Writes one line of the given MiB, then short lines for two seconds; returns how many. */
  static final Function1<Integer, Long> flood = floodApp.function(FloodFns::flood);

  static final Function1<Integer, Integer> ping = steadyApp.function(FloodFns::ping);

  static Long flood(Integer mib) throws IOException {
    // Straight to the stdout pipe, in chunks: the line is never held in the container's memory.
    OutputStream out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
    byte[] chunk = new byte[1 << 16];
    Arrays.fill(chunk, (byte) 'x');
    for (long written = 0; written < (long) mib << 20; written += chunk.length) {
      out.write(chunk);
    }
    out.write('\n');
    long lines = 0;
    long end = System.nanoTime() + 2_000_000_000L;
    while (System.nanoTime() < end) {
      for (int i = 0; i < 1000; i++) {
        out.write(("short line " + lines++ + "\n").getBytes(StandardCharsets.US_ASCII));
      }
    }
    out.flush();
    return lines;
  }

  static Integer ping(Integer x) {
    return x + 1;
  }

  private FloodFns() {}
}
