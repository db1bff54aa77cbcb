package dev.skiff.bench;

import dev.skiff.App;
import dev.skiff.Function1;
import dev.skiff.Image;
import dev.skiff.WebEndpoint;
import java.time.Duration;

/**
 * The apps and functions the benchmarks call. Containers initialise this class (and only this
 * class) to find the functions, so it holds nothing but definitions: one app per benchmark (two for
 * {@code spawn_durability}, one per side), so that each gets its own control plane and containers.
 */
final class BenchFunctions {
  /** The argument with which {@link #hold} returns at once, to warm its container. */
  static final String WARM = "warm";

  /** How long {@link #hold} blocks: longer than the queued-memory phase takes. */
  static final Duration HOLD = Duration.ofSeconds(60);

  static final App LATENCY_APP = App.named("bench-latency");
  static final Function1<String, String> latencyEcho = LATENCY_APP.function(BenchFunctions::echo);

  static final App THROUGHPUT_APP = App.named("bench-throughput");
  static final Function1<String, String> throughputEcho =
      THROUGHPUT_APP.function(BenchFunctions::echo);

  static final App COLD_APP = App.named("bench-cold-start");
  static final Function1<String, String> coldEcho = COLD_APP.function(BenchFunctions::echo);

  /**
   * A JDK image of the node's JDK, for {@code cold_start}'s samples of a function with an image of
   * its own; another app on the same image keeps its warm containers in the pool meanwhile.
   */
  static final Image COLD_IMAGE =
      Image.jdk(Runtime.version().feature()).env("SKIFF_BENCH", "cold-start");

  static final App COLD_IMAGE_APP = App.named("bench-cold-start-image");
  static final Function1<String, String> coldImageEcho =
      COLD_IMAGE_APP.function(BenchFunctions::echo, f -> f.image(COLD_IMAGE));

  static final App IMAGE_HOLDER_APP = App.named("bench-cold-start-image-holder");
  static final Function1<String, String> imageHolderEcho =
      IMAGE_HOLDER_APP.function(BenchFunctions::echo, f -> f.image(COLD_IMAGE));

  static final App IDLE_APP = App.named("bench-idle-memory");
  static final Function1<String, String> idleEcho = IDLE_APP.function(BenchFunctions::echo);

  static final App QUEUE_APP = App.named("bench-queue");
  static final Function1<String, String> queueHold =
      QUEUE_APP.function(
          BenchFunctions::hold, f -> f.maxContainers(1).timeout(HOLD.plus(Duration.ofMinutes(1))));

  /** The long-running server's side of {@code spawn_durability}. */
  static final App STORED_SPAWN_APP = App.named("bench-spawn-stored");

  static final Function1<Integer, Integer> storedSpawnInc =
      STORED_SPAWN_APP.function(BenchFunctions::inc);

  /** The embedded control plane's side of {@code spawn_durability}, the baseline. */
  static final App MEMORY_SPAWN_APP = App.named("bench-spawn-memory");

  static final Function1<Integer, Integer> memorySpawnInc =
      MEMORY_SPAWN_APP.function(BenchFunctions::inc);

  /**
   * The server's side of {@code server_path}: deployed on a long-running server and called by name
   * from this JVM, a separate client.
   */
  static final App SERVER_PATH_APP = App.named("bench-server-path");

  static final Function1<String, String> serverPathEcho =
      SERVER_PATH_APP.function(BenchFunctions::echo);

  static final Function1<Integer, Integer> serverPathInc =
      SERVER_PATH_APP.function(BenchFunctions::inc);

  /** The embedded control plane's side of {@code server_path}, the baseline. */
  static final App EMBEDDED_PATH_APP = App.named("bench-embedded-path");

  static final Function1<String, String> embeddedPathEcho =
      EMBEDDED_PATH_APP.function(BenchFunctions::echo);

  /** {@code web_endpoint}'s app: {@link #hello} served at {@code /bench-web/hello?name=...}. */
  static final App WEB_APP = App.named("bench-web");

  /**
   * A simple-form GET endpoint on one warm container ({@code minContainers(1)}, and {@code
   * maxContainers(1)} so that no second container starts during a round) that runs as many inputs
   * at once as wrk opens connections.
   */
  static final WebEndpoint webHello =
      WEB_APP.webEndpoint(
          BenchFunctions::hello,
          w ->
              w.label("hello")
                  .function(
                      f ->
                          f.minContainers(1)
                              .maxContainers(1)
                              .concurrentInputs(Sizes.WEB_CONNECTIONS)));

  /** The trivial function: returns its argument. */
  static String echo(String s) {
    return s;
  }

  /** Returns its argument plus one: a trivial function whose results tell the inputs apart. */
  static int inc(int x) {
    return x + 1;
  }

  /** The web endpoint's trivial function: {@code "hello " + name}. */
  static String hello(String name) {
    return "hello " + name;
  }

  /** Returns {@link #WARM} at once; blocks for {@link #HOLD} on any other argument. */
  static String hold(String s) throws InterruptedException {
    if (!WARM.equals(s)) {
      Thread.sleep(HOLD);
    }
    return s;
  }

  private BenchFunctions() {}
}
