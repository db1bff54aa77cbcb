package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function0;
import dev.skiff.Function1;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The functions of {@link ContainerLimitsTest}: a thread bomb, and the heap a container's JVM may
 * use with and without a memory option. Containers initialise this class as the tests do.
 */
final class LimitFns {
  private LimitFns() {}

  static final App app = App.named("limits");

  /** Starts threads that wait, as many as it can up to {@code n}; returns how many started. */
  static final Function1<Integer, Integer> threads =
      app.function(LimitFns::startThreads, f -> f.maxContainers(1));

  /** The largest heap this container's JVM may use, in MiB; no memory option. */
  static final Function0<Long> defaultHeap = app.function(LimitFns::maxHeapMib);

  /** The same with a memory limit of its own, 512 MiB. */
  static final Function0<Long> ownLimitHeap =
      app.function(LimitFns::maxHeapMib, f -> f.name("ownLimitHeap").memory(128, 512));

  static long maxHeapMib() {
    return Runtime.getRuntime().maxMemory() / (1024 * 1024);
  }

  static int startThreads(int n) {
    CountDownLatch release = new CountDownLatch(1);
    List<Thread> started = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        Thread t =
            Thread.ofPlatform()
                .stackSize(64 * 1024)
                .daemon()
                .start(
                    () -> {
                      try {
                        release.await();
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                    });
        started.add(t);
      }
    } catch (OutOfMemoryError e) {
      // "unable to create native thread": the container's pids limit
    } finally {
      release.countDown();
    }
    return started.size();
  }
}
