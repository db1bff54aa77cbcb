package dev.skiff.server.scaling;

import dev.skiff.internal.container.ContainerEnvironment;
import dev.skiff.server.auth.Tokens;
import dev.skiff.server.backend.ClasspathEntry;
import dev.skiff.server.backend.ContainerBackend;
import dev.skiff.server.backend.ContainerHandle;
import dev.skiff.server.backend.ContainerSpec;
import dev.skiff.server.backend.OutputListener;
import dev.skiff.server.backend.Resources;
import dev.skiff.server.common.RandomIds;
import dev.skiff.server.runtime.Container;
import dev.skiff.server.runtime.ContainerChannel;
import dev.skiff.server.runtime.ContainerEndpoint;
import dev.skiff.server.runtime.FunctionScheduler;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Containers started before any function needs them, so that a function's new container does not
 * wait for a JVM to start and load Skiff (as pre-warmed pools do in OpenWhisk and Fission).
 *
 * <p>A warm container runs the same entrypoint on the same classpath as any container of the apps
 * that use that classpath, but without a function: it connects, loads and exercises Skiff's own
 * code, and waits. A {@link FunctionScheduler} that needs a container {@linkplain #claim claims}
 * one (connected or still starting), registers it as its own {@link Container} under the same id
 * and token, and sends it a {@code Bind}; from then on the container's stream, output and exit go
 * to that scheduler, exactly as for a container it launched itself. Each claimed container is
 * replaced once it has connected, so there are {@code size} unclaimed warm containers per {@link
 * Shape} in use: a classpath, on the backend's own JDK or on a built image (whose warm containers
 * run on the image's JDK, files and environment, as its functions' containers do).
 *
 * <p><b>What it keeps.</b> A shape is in use while a running app has functions that can take its
 * containers: {@link dev.skiff.server.runtime.AppDirectory} {@linkplain #acquire acquires} the
 * shapes its functions could take (its classpath on the backend's JDK or on an image, for functions
 * without secrets, volumes, limits or a blocked network) when an app starts and {@linkplain
 * #release releases} them when the app stops (stopped, undeployed, replaced by a redeploy, an
 * ephemeral run's end). The last release stops that shape's unclaimed warm containers, so a
 * redeploy with a changed classpath or image leaves none behind. All unclaimed warm containers
 * together are at most {@code max}: past it a classpath gets none (its functions start their
 * containers themselves), until a release makes room. A warm container is a default container: no
 * CPU or memory reservation or limit, as for a function that sets none (functions that set limits
 * never take one), so the pool costs at most {@code max} idle JVMs. Unclaimed warm containers are
 * listed with the apps on their classpath ({@link #waiting}).
 *
 * <p>Threading: one lock guards the pool's state. It is never held while calling a scheduler (a
 * scheduler calls {@link #claim} under its own lock, so the order is always scheduler, then pool).
 */
public final class WarmPool {
  private static final System.Logger LOG = System.getLogger(WarmPool.class.getName());

  /**
   * What a warm container is started with, and so which functions can take it: the classpath, and
   * the built image it runs on (empty: the backend's own JDK).
   */
  public record Shape(List<ClasspathEntry> classpath, Optional<String> image) {
    /** Copies the classpath. */
    public Shape {
      classpath = List.copyOf(classpath);
      Objects.requireNonNull(image, "image");
    }

    /** A classpath on the backend's own JDK. */
    public static Shape of(List<ClasspathEntry> classpath) {
      return new Shape(classpath, Optional.empty());
    }
  }

  /** One container started ahead of need. */
  public static final class Warm {
    public final String id;
    public final String token;
    final Shape shape;
    // Guarded by the pool's lock.
    private Optional<ContainerHandle> handle = Optional.empty();
    private Optional<ContainerChannel> channel = Optional.empty();
    private Container adopter;

    Warm(String id, String token, Shape shape) {
      this.id = id;
      this.token = token;
      this.shape = shape;
    }
  }

  private final int size;
  private final int max;
  private final ContainerBackend backend;
  private final Tokens tokens;
  private final Executor launcher;
  private final Supplier<ContainerEndpoint> endpoint;
  private final ReentrantLock lock = new ReentrantLock();
  // Guarded by lock: unclaimed warm containers by shape, oldest first; all of them by id (at most
  // max); how many running apps use each shape in use.
  private final Map<Shape, ArrayDeque<Warm>> unclaimed = new HashMap<>();
  private final Map<String, Warm> byId = new LinkedHashMap<>();
  private final Map<Shape, Integer> users = new LinkedHashMap<>();
  // Guarded by lock: warm containers of each shape that failed or died in a row, unclaimed.
  private final Map<Shape, Integer> failures = new HashMap<>();
  private boolean closed;

  /**
   * How many unclaimed warm containers of a classpath may fail or die in a row, each replaced at
   * once, before the pool stops replacing them until one connects (or a claimed one connects and
   * refills the pool).
   */
  static final int MAX_FAILURES_IN_A_ROW = 3;

  /**
   * A pool of {@code size} warm containers per classpath in use, at most {@code max} in all.
   *
   * @throws IllegalArgumentException if {@code size} or {@code max} is negative
   */
  public WarmPool(
      int size,
      int max,
      ContainerBackend backend,
      Tokens tokens,
      Executor launcher,
      Supplier<ContainerEndpoint> endpoint) {
    if (size < 0 || max < 0) {
      throw new IllegalArgumentException(
          "warm containers per classpath and in all must be >= 0, were " + size + " and " + max);
    }
    this.size = size;
    this.max = max;
    this.backend = backend;
    this.tokens = tokens;
    this.launcher = launcher;
    this.endpoint = endpoint;
  }

  /** A pool that never has a warm container. */
  public static WarmPool disabled() {
    return new WarmPool(
        0, 0, null, null, Runnable::run, () -> new ContainerEndpoint(Path.of("/nonexistent.sock")));
  }

  /**
   * An app whose functions can take containers of {@code shape} started: keeps warm containers for
   * it until its last release.
   */
  public void acquire(Shape shape) {
    lock.lock();
    try {
      users.merge(shape, 1, Integer::sum);
    } finally {
      lock.unlock();
    }
    fill(shape);
  }

  /**
   * An app whose functions could take containers of {@code key} stopped: once no running app uses
   * it, stops its unclaimed warm containers and lets other shapes in use have the room.
   */
  public void release(Shape key) {
    List<Warm> dropped = new ArrayList<>();
    List<Shape> inUse;
    lock.lock();
    try {
      Integer n = users.get(key);
      if (n == null) {
        return;
      }
      if (n > 1) {
        users.put(key, n - 1);
        return;
      }
      users.remove(key);
      ArrayDeque<Warm> waiting = unclaimed.remove(key);
      if (waiting != null) {
        for (Warm w : waiting) {
          byId.remove(w.id);
          dropped.add(w);
        }
      }
      inUse = List.copyOf(users.keySet());
    } finally {
      lock.unlock();
    }
    for (Warm w : dropped) {
      stop(w); // one still being launched is stopped by launch, which finds it dropped
    }
    inUse.forEach(this::fill);
  }

  /** The ids of the unclaimed warm containers of {@code shape}, oldest first. */
  public List<String> waiting(Shape shape) {
    lock.lock();
    try {
      ArrayDeque<Warm> waiting = unclaimed.get(shape);
      return waiting == null ? List.of() : waiting.stream().map(w -> w.id).toList();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Starts warm containers until {@code size} wait unclaimed for this shape, if an app uses it, and
   * while fewer than {@code max} wait in all.
   */
  public void fill(Shape key) {
    if (size == 0) {
      return;
    }
    List<Warm> started = new ArrayList<>();
    lock.lock();
    try {
      if (closed || !users.containsKey(key)) {
        return;
      }
      ArrayDeque<Warm> waiting = unclaimed.computeIfAbsent(key, k -> new ArrayDeque<>());
      while (waiting.size() < size && byId.size() < max) {
        String id = RandomIds.containerId();
        Warm w = new Warm(id, tokens.issue(id, ""), key);
        waiting.add(w);
        byId.put(id, w);
        started.add(w);
      }
    } finally {
      lock.unlock();
    }
    for (Warm w : started) {
      try {
        launcher.execute(() -> launch(w));
      } catch (RejectedExecutionException e) {
        forget(w); // shutting down
      }
    }
  }

  /**
   * Takes a warm container for the container that {@code adopt} creates (same id and token), which
   * the caller registers before any message of it can be routed. The caller binds it and calls
   * {@link #fill} once it is connected, so that the replacement does not compete for the CPU with a
   * container that a caller is waiting for.
   *
   * @return the warm container, or empty when none waits for this shape
   */
  public Optional<Warm> claim(Shape shape, Function<Warm, Container> adopt) {
    if (size == 0) {
      return Optional.empty();
    }
    Warm w;
    lock.lock();
    try {
      ArrayDeque<Warm> waiting = unclaimed.get(shape);
      // Prefer one that is connected already; else the oldest, which is closest to ready.
      w =
          waiting == null
              ? null
              : waiting.stream()
                  .filter(x -> x.channel.isPresent())
                  .findFirst()
                  .orElse(waiting.peekFirst());
      if (w == null || closed) {
        return Optional.empty();
      }
      waiting.remove(w);
      byId.remove(w.id);
      w.adopter = adopt.apply(w);
    } finally {
      lock.unlock();
    }
    return Optional.of(w);
  }

  /** The handle of a claimed container, if its process exists yet. */
  public Optional<ContainerHandle> handleOf(Warm w) {
    lock.lock();
    try {
      return w.handle;
    } finally {
      lock.unlock();
    }
  }

  /** The stream of a claimed container, if it has connected yet. */
  public Optional<ContainerChannel> channelOf(Warm w) {
    lock.lock();
    try {
      return w.channel;
    } finally {
      lock.unlock();
    }
  }

  /**
   * A container said hello with an id that no scheduler knows: attaches its stream if it is an
   * unclaimed warm container with this token.
   *
   * @return false if it is not one
   */
  public boolean attach(String id, String token, ContainerChannel channel) {
    lock.lock();
    try {
      Warm w = byId.get(id);
      if (w == null || !w.token.equals(token) || w.channel.isPresent()) {
        return false;
      }
      w.channel = Optional.of(channel);
      failures.remove(w.shape); // this one started: the shape's containers can start
      if (closed) {
        channel.shutdown();
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** The stream of an unclaimed warm container ended: it is of no use any more. */
  public void onStreamClosed(String id) {
    Optional<ContainerHandle> h;
    lock.lock();
    try {
      Warm w = byId.get(id);
      h = w == null ? Optional.empty() : w.handle;
    } finally {
      lock.unlock();
    }
    h.ifPresent(ContainerHandle::kill);
  }

  /** Stops the unclaimed warm containers and starts no more; claimed ones belong to schedulers. */
  public void close() {
    List<Warm> all;
    lock.lock();
    try {
      closed = true;
      all = new ArrayList<>(byId.values());
    } finally {
      lock.unlock();
    }
    all.forEach(this::stop);
  }

  /** Tells an unclaimed warm container to exit, and stops its process. */
  private void stop(Warm w) {
    lock.lock();
    try {
      w.channel.ifPresent(ContainerChannel::shutdown);
      w.handle.ifPresent(ContainerHandle::stop);
    } finally {
      lock.unlock();
    }
  }

  /** The process handles of unclaimed warm containers, to wait for their exit at shutdown. */
  public List<ContainerHandle> handles() {
    lock.lock();
    try {
      return byId.values().stream().flatMap(w -> w.handle.stream()).toList();
    } finally {
      lock.unlock();
    }
  }

  private void launch(Warm w) {
    lock.lock();
    try {
      if (!byId.containsKey(w.id) && w.adopter == null) {
        // Released (or the pool closed) before its turn came: never start it.
        tokens.revoke(w.token);
        return;
      }
    } finally {
      lock.unlock();
    }
    ContainerEndpoint at = endpoint.get();
    Map<String, String> env =
        new LinkedHashMap<>(
            ContainerEnvironment.pooled(
                new ContainerEnvironment.Identity(
                    backend.advertisedEndpoint(at.socket()), w.token, w.id)));
    // No GPUs: functions with GPUs never take a warm one.
    env.put(ContainerEnvironment.CUDA_VISIBLE_DEVICES, "");
    OutputListener output =
        (stderr, text) -> {
          Container c = adopterOf(w);
          if (c != null) {
            c.scheduler.publishLine(c, stderr, text);
          } else {
            LOG.log(Level.DEBUG, "warm container {0}: {1}", w.id, text);
          }
        };
    ContainerHandle handle;
    try {
      // A warm container has the network (functions that block it take none) and no GPUs, and the
      // resources of a function that sets none: nothing reserved, no limits (functions with
      // limits never take one).
      handle =
          backend.start(
              new ContainerSpec(
                  w.id,
                  w.shape.classpath(),
                  env,
                  Map.of(),
                  w.shape.image(),
                  new ContainerSpec.Reach(Optional.of(at.socket()), true, List.of(), false),
                  Resources.NONE),
              output);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "could not start a warm container: " + e.getMessage());
      Ended ended = ended(w);
      if (ended.adopter() != null) {
        ended.adopter().scheduler.onAdoptedLaunchFailed(ended.adopter(), e);
      } else if (ended.unclaimed()) {
        replaceFailed(w.shape);
      }
      return;
    }
    Container adopter;
    boolean stopNow;
    lock.lock();
    try {
      w.handle = Optional.of(handle);
      adopter = w.adopter;
      // Closed, or released while it started: nobody will claim it.
      stopNow = (closed || !byId.containsKey(w.id)) && adopter == null;
    } finally {
      lock.unlock();
    }
    if (stopNow) {
      handle.stop();
    }
    if (adopter != null) {
      adopter.scheduler.onAdoptedHandle(adopter, handle);
    }
    handle
        .onExit()
        .thenAccept(
            code -> {
              Ended ended = ended(w);
              if (ended.adopter() != null) {
                ended.adopter().scheduler.onExit(ended.adopter(), code, handle.stderrTail());
              } else {
                if (ended.unclaimed()) {
                  LOG.log(
                      Level.WARNING,
                      "warm container {0} exited with {1} before any function took it: {2}",
                      w.id,
                      code,
                      String.join("\n", handle.stderrTail()));
                  replaceFailed(w.shape);
                } else {
                  LOG.log(Level.DEBUG, "warm container {0} exited with {1}", w.id, code);
                }
              }
            });
  }

  /**
   * What became of a warm container that failed to start or exited.
   *
   * @param adopter the container that claimed it; null if none did
   * @param unclaimed whether it died waiting to be claimed: the pool neither dropped it (a release
   *     takes it out first) nor is closing
   */
  private record Ended(Container adopter, boolean unclaimed) {}

  /**
   * What became of {@code w}, which failed to start or exited; if nothing claimed it, forgets it in
   * the same step, so that no claim can take it afterwards (a claim between the two would leave its
   * container waiting for a process that is gone).
   */
  private Ended ended(Warm w) {
    lock.lock();
    try {
      if (w.adopter != null) {
        return new Ended(w.adopter, false);
      }
      boolean unclaimed = !closed && byId.containsKey(w.id);
      forget(w);
      return new Ended(null, unclaimed);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Replaces a warm container of {@code shape} that failed or died, unless {@value
   * #MAX_FAILURES_IN_A_ROW} have in a row: a shape whose containers cannot start must not start
   * them in a loop.
   */
  private void replaceFailed(Shape shape) {
    int inARow;
    lock.lock();
    try {
      inARow = failures.merge(shape, 1, Integer::sum);
    } finally {
      lock.unlock();
    }
    if (inARow > MAX_FAILURES_IN_A_ROW) {
      if (inARow == MAX_FAILURES_IN_A_ROW + 1) {
        LOG.log(
            Level.WARNING,
            "warm containers failed "
                + MAX_FAILURES_IN_A_ROW
                + " times in a row for one classpath and image; none are started for them until a"
                + " container of them starts");
      }
      return;
    }
    fill(shape);
  }

  private Container adopterOf(Warm w) {
    lock.lock();
    try {
      return w.adopter;
    } finally {
      lock.unlock();
    }
  }

  private void forget(Warm w) {
    lock.lock();
    try {
      byId.remove(w.id);
      ArrayDeque<Warm> waiting = unclaimed.get(w.shape);
      if (waiting != null) {
        waiting.remove(w);
      }
    } finally {
      lock.unlock();
    }
    if (adopterOf(w) == null) {
      tokens.revoke(w.token);
    }
  }
}
