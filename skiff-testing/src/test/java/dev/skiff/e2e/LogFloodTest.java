package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.AppRun;
import dev.skiff.RunOptions;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.ClientApiGrpc;
import dev.skiff.proto.LogLine;
import dev.skiff.proto.StreamLogsRequest;
import dev.skiff.testing.SkiffExtension;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A container floods its logs, one line of 256 MiB and then short lines as fast as it can, while
 * another app is called: the control plane (embedded in this JVM) stays bounded in memory, the
 * other app's calls keep completing, the flooding container lives on, and its logs say that the
 * long line was split and that lines were dropped.
 */
@Tag("e2e")
class LogFloodTest {
  private static final int LINE_MIB = 256;
  private static final long HEAP_BOUND = 128L << 20;
  private static final Pattern DROPPED = Pattern.compile("\\[skiff: (\\d+) lines dropped");

  @RegisterExtension
  final SkiffExtension skiff = SkiffExtension.builder().withoutWarmContainers().build();

  @Test
  void aFloodOfOutputIsSplitAndRateLimitedWhileOtherCallsGoOn() throws Exception {
    ManagedChannel channel = SkiffClient.channel(skiff.target(), skiff.token());
    try (AppRun steady = FloodFns.steadyApp.run(RunOptions.quiet());
        AppRun flood = FloodFns.floodApp.run(RunOptions.quiet())) {
      assertThat(FloodFns.ping.remote(1)).isEqualTo(2); // its container is up

      AtomicLong continued = new AtomicLong();
      AtomicLong pieces = new AtomicLong();
      AtomicLong shortLines = new AtomicLong();
      AtomicLong dropped = new AtomicLong();
      AtomicLong readerDropped = new AtomicLong();
      ClientApiGrpc.newStub(channel)
          .streamLogs(
              StreamLogsRequest.newBuilder().setAppId(flood.appId()).build(),
              new StreamObserver<>() {
                @Override
                public void onNext(LogLine line) {
                  String text = line.getText();
                  Matcher m = DROPPED.matcher(text);
                  if (text.endsWith("[skiff: line continues]")) {
                    continued.incrementAndGet();
                    pieces.incrementAndGet();
                  } else if (text.startsWith("xxxx")) {
                    pieces.incrementAndGet(); // the last piece
                  } else if (text.startsWith("short line")) {
                    shortLines.incrementAndGet();
                  } else if (m.find()) {
                    (text.contains("reader") ? readerDropped : dropped)
                        .addAndGet(Long.parseLong(m.group(1)));
                  }
                }

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {}
              });

      long started = System.nanoTime();
      CompletableFuture<Long> flooding =
          CompletableFuture.supplyAsync(() -> FloodFns.flood.remote(LINE_MIB));
      List<Long> latencies = new ArrayList<>();
      while (!flooding.isDone()) {
        long t = System.nanoTime();
        assertThat(FloodFns.ping.remote(latencies.size())).isEqualTo(latencies.size() + 1);
        latencies.add(System.nanoTime() - t);
      }
      long written = flooding.get(5, TimeUnit.MINUTES); // the flooding container was not killed
      double seconds = (System.nanoTime() - started) / 1e9;

      // Every line written is either received or counted in a report of dropped lines.
      long total = written + (LINE_MIB << 20) / (16 << 10);
      try {
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    pieces.get() + shortLines.get() + dropped.get() + readerDropped.get() >= total);
      } catch (ConditionTimeoutException e) {
        // Asserted below, after the figures are printed.
      }
      System.gc();
      long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      Collections.sort(latencies);
      System.out.printf(
          "log flood: %d MiB line, then %d short lines in %.1f s; lines accepted %d (%d pieces,"
              + " %d short, %.0f/s), dropped %d (%.0f/s), dropped for the slow reader %d;"
              + " %d calls of the other app, p50 %.1f ms, p99 %.1f ms; heap after GC %d MiB%n",
          LINE_MIB,
          written,
          seconds,
          pieces.get() + shortLines.get(),
          pieces.get(),
          shortLines.get(),
          (pieces.get() + shortLines.get()) / seconds,
          dropped.get(),
          dropped.get() / seconds,
          readerDropped.get(),
          latencies.size(),
          latencies.get(latencies.size() / 2) / 1e6,
          latencies.get(Math.min(latencies.size() - 1, latencies.size() * 99 / 100)) / 1e6,
          heap >> 20);
      assertThat(latencies).isNotEmpty();
      assertThat(heap).as("heap used after GC").isLessThan(HEAP_BOUND);
      assertThat(continued.get()).as("pieces of the long line that say it continues").isPositive();
      assertThat(dropped.get()).as("lines reported dropped").isPositive();
      assertThat(pieces.get() + shortLines.get() + dropped.get() + readerDropped.get())
          .as("lines received or reported dropped")
          .isEqualTo(total);
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }
}
