package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.DeployedApp;
import dev.skiff.RemoteFunction;
import dev.skiff.internal.ClientConfig;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.LogLine;
import dev.skiff.proto.StreamLogsRequest;
import dev.skiff.testing.ServerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The log flood of {@link LogFloodTest} against a real {@code skiff server} child process with a
 * small heap, on deployed apps, whose lines go through the store: a deployed container writes one
 * 300 MiB line (more than the server's whole heap) and then short lines as fast as it can for two
 * seconds, while this JVM calls another deployed app in a loop. Every call succeeds, the flooding
 * call returns (its container was not killed), the server lives on, and the app's logs, read as
 * {@code skiff app logs} reads them, say that the line was split and that lines were dropped past
 * the server's {@code --log-rate}. The server's peak RSS and the other app's call latencies are
 * printed, not asserted.
 */
@Tag("e2e")
class ServerLogFloodTest {
  private static final int LINE_MIB = 300;
  private static final String CONTINUES = "[skiff: line continues]";
  // The server runs with --log-rate 500 (the default is 1000): its marker names the rate it got.
  private static final String RATE_DROPPED =
      "lines dropped: the container wrote more than 500 lines per second";

  @Test
  void aDeployedContainersFloodLeavesTheServerBoundedAndOtherAppsServed() throws Exception {
    // The line is 300 MiB; the server's heap is 192 MiB, and an OutOfMemoryError ends it.
    try (ServerProcess server =
        ServerProcess.startWithJvmOptions(
            List.of("-Xmx192m", "-XX:+ExitOnOutOfMemoryError"), "--log-rate", "500")) {
      server.useInThisJvm();
      DeployedApp flooding = FloodFns.floodApp.deploy();
      FloodFns.steadyApp.deploy();
      RemoteFunction<Long> flood = RemoteFunction.fromName("log-flood", "flood", Long.class);
      RemoteFunction<Integer> ping = RemoteFunction.fromName("log-steady", "ping", Integer.class);
      assertThat(ping.remote(1)).isEqualTo(2); // its container is up

      long started = System.nanoTime();
      CompletableFuture<Long> flooded = CompletableFuture.supplyAsync(() -> flood.remote(LINE_MIB));
      List<Long> latencies = new ArrayList<>();
      long peakRssKib = 0; // sampled as the calls go, so that a server that dies leaves a figure
      while (!flooded.isDone()) {
        long t = System.nanoTime();
        try {
          assertThat(ping.remote(latencies.size())).isEqualTo(latencies.size() + 1);
        } catch (RuntimeException e) {
          throw new AssertionError(
              "call "
                  + latencies.size()
                  + " of the other app failed during the flood (server peak RSS so far "
                  + (peakRssKib >> 10)
                  + " MiB); the server's last output:\n"
                  + tail(server.output()),
              e);
        }
        latencies.add(System.nanoTime() - t);
        peakRssKib = server.peakRssKib().orElse(peakRssKib);
      }
      long shortLines = flooded.get(1, TimeUnit.SECONDS); // the flooding container was not killed
      double seconds = (System.nanoTime() - started) / 1e9;

      // The kept lines, as `skiff app logs log-flood` asks for them; the store writes them behind.
      ClientConfig config = server.clientConfig();
      List<String> markers =
          await()
              .atMost(Duration.ofSeconds(30))
              .until(
                  () -> markers(config, flooding.appId()),
                  m -> m.contains(CONTINUES) && m.stream().anyMatch(t -> t.contains(RATE_DROPPED)));
      peakRssKib = server.peakRssKib().orElseThrow();
      Collections.sort(latencies);
      System.out.printf(
          "server log flood: %d MiB line, then %d short lines, in %.1f s; server -Xmx192m, peak"
              + " RSS %d MiB; %d calls of the other app, p50 %.1f ms, p99 %.1f ms, max %.1f ms;"
              + " %d marker lines kept, e.g. %s%n",
          LINE_MIB,
          shortLines,
          seconds,
          peakRssKib >> 10,
          latencies.size(),
          latencies.get(latencies.size() / 2) / 1e6,
          latencies.get(Math.min(latencies.size() - 1, latencies.size() * 99 / 100)) / 1e6,
          latencies.get(latencies.size() - 1) / 1e6,
          markers.size(),
          markers.stream().filter(t -> t.contains(RATE_DROPPED)).findFirst().orElseThrow());
      assertThat(latencies).isNotEmpty();
      assertThat(ProcessHandle.of(server.pid()).filter(ProcessHandle::isAlive))
          .as("the server after the flood")
          .isPresent();
      assertThat(server.output()).doesNotContain("OutOfMemoryError");
    }
  }

  /** The kept lines of the app that carry a marker of the server's (without the long pieces). */
  private static List<String> markers(ClientConfig config, String appId) {
    List<String> found = new ArrayList<>();
    try (SkiffClient client =
        SkiffClient.connect(config.server(), config.token(), config.trust())) {
      Iterator<LogLine> lines =
          client
              .blocking()
              .streamLogs(
                  StreamLogsRequest.newBuilder()
                      .setAppId(appId)
                      .setTail(Integer.MAX_VALUE)
                      .setKeptOnly(true)
                      .build());
      while (lines.hasNext()) {
        String text = lines.next().getText();
        if (text.contains("[skiff: ")) {
          found.add(text.endsWith(CONTINUES) ? CONTINUES : text.strip());
        }
      }
    }
    return found;
  }

  private static String tail(String output) {
    return output.substring(Math.max(0, output.length() - 4000));
  }
}
