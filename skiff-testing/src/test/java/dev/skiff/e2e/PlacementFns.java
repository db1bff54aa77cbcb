package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function0;
import dev.skiff.Function1;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The apps and functions of {@link PlacementTest}: resource requests and limits, GPUs with
 * fallback, and regions. Containers initialise this class as the tests do.
 */
final class PlacementFns {
  private PlacementFns() {}

  static final App app = App.named("placement");

  /** Prefers an H100, takes an A100. */
  static final Function1<String, String> gpuFallback =
      app.function(PlacementFns::heldGpu, f -> f.gpu("H100", "A100").maxContainers(3));

  /** Reserves 768 MiB per container: on a 1024 MiB node, a second container must wait. */
  static final Function1<String, Long> tightMemory =
      app.function(PlacementFns::heldPid, f -> f.memory(768).maxContainers(2));

  /** May use 256 MiB at most. */
  static final Function1<Integer, Integer> hog =
      app.function(PlacementFns::allocate, f -> f.memory(128, 256));

  /** May use 256 MiB at most, off the heap as well as on it. */
  static final Function1<Integer, Integer> offHeapHog =
      app.function(PlacementFns::allocateOffHeap, f -> f.memory(128, 256));

  /** At most one core, and only in eu-west-1. */
  static final Function0<Integer> limitedCpu =
      app.function(PlacementFns::processors, f -> f.cpu(0.5, 1.0).region("eu-west-1"));

  /** Asks for a GPU type that no node has. */
  static final App h100App = App.named("placement-h100");

  static final Function0<Integer> h100Only =
      h100App.function(PlacementFns::processors, f -> f.gpu("H100"));

  /** Asks for more memory than the node has. */
  static final App bigApp = App.named("placement-big");

  static final Function0<Integer> big =
      bigApp.function(PlacementFns::processors, f -> f.memory(4096));

  /** Asks for a region; runs only where a node has that label. */
  static final App euApp = App.named("placement-eu");

  static final Function0<Integer> inEurope =
      euApp.function(PlacementFns::processors, f -> f.region("eu-west-1"));

  /** The GPU type and devices this container was given, once {@code releasePath} exists. */
  static String heldGpu(String releasePath) throws InterruptedException {
    awaitFile(releasePath);
    return System.getenv("SKIFF_GPU_TYPE") + ":" + System.getenv("CUDA_VISIBLE_DEVICES");
  }

  static Long heldPid(String releasePath) throws InterruptedException {
    awaitFile(releasePath);
    return ProcessHandle.current().pid();
  }

  /** Allocates and keeps {@code mib} MiB, then says how many it holds. */
  static Integer allocate(Integer mib) {
    List<byte[]> held = new ArrayList<>();
    for (int i = 0; i < mib; i++) {
      held.add(new byte[1024 * 1024]);
    }
    return held.size();
  }

  /**
   * Holds 96 MiB of heap, then allocates {@code mib} MiB of direct buffers (memory the JVM's heap
   * limit does not count), touching every page; says how many MiB it allocated off the heap.
   */
  @SuppressWarnings("ModifiedButNotUsed") // the list holds the memory until the function returns
  static Integer allocateOffHeap(Integer mib) {
    List<Object> held = new ArrayList<>();
    for (int i = 0; i < 96; i++) {
      held.add(new byte[1024 * 1024]);
    }
    int direct = 0;
    for (int i = 0; i < mib; i++) {
      ByteBuffer b = ByteBuffer.allocateDirect(1024 * 1024);
      for (int p = 0; p < b.capacity(); p += 4096) {
        b.put(p, (byte) 1);
      }
      held.add(b);
      direct++;
    }
    return direct;
  }

  static Integer processors() {
    return Runtime.getRuntime().availableProcessors();
  }

  private static void awaitFile(String path) throws InterruptedException {
    Instant deadline = Instant.now().plusSeconds(60);
    while (!Files.exists(Path.of(path))) {
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException(path + " did not appear within 60 s");
      }
      Thread.sleep(20);
    }
  }
}
