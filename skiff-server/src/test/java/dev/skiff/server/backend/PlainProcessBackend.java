package dev.skiff.server.backend;

import dev.skiff.internal.container.ContainerEnvironment;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A test-only second backend, {@code plain}: each container a plain child JVM, without sandbox,
 * control groups or class-data archives, written against the SPI alone. It lacks every {@link
 * Capability}, so the control plane's refusals and the contract's can be seen on it. Registered in
 * the test resources' {@code META-INF/services} and chosen by name, as a real backend is.
 */
final class PlainProcessBackend implements ContainerBackend {
  static final String NAME = "plain";
  static final String NO_SANDBOX = "the plain test backend runs containers without a sandbox";

  private final Set<Plain> live = ConcurrentHashMap.newKeySet();
  private final MemoryPlacement placement;
  private final ImageResolver images;
  private final JarResolver jars;
  private volatile boolean closed;

  PlainProcessBackend(long memoryMib, ImageResolver images, JarResolver jars) {
    this.placement = new MemoryPlacement(memoryMib);
    this.images = images;
    this.jars = jars;
  }

  /** The provider, found through {@link java.util.ServiceLoader}. */
  public static final class Provider extends ContainerBackendProvider {
    /** For {@link java.util.ServiceLoader}. */
    public Provider() {}

    @Override
    public String name() {
      return NAME;
    }

    @Override
    public boolean isAvailable() {
      return true;
    }

    @Override
    public int priority() {
      return 1;
    }

    @Override
    public ContainerBackend create(BackendConfig config) {
      return new PlainProcessBackend(config.node().memoryMib(), config.images(), config.jars());
    }
  }

  /** The control socket itself: plain processes share this machine's files. */
  @Override
  public String advertisedEndpoint(Path controlSocket) {
    return "unix:" + controlSocket;
  }

  /** Memory only, against the node's memory; no GPUs, any region. */
  @Override
  public Placement placement() {
    return placement;
  }

  @Override
  public Capabilities capabilities() {
    return Capabilities.none(NO_SANDBOX);
  }

  @Override
  public ContainerHandle start(ContainerSpec spec, OutputListener output) {
    if (closed) {
      throw new IllegalStateException("the plain backend is closed");
    }
    Optional<ContainerImage> image =
        spec.image()
            .map(
                id ->
                    images
                        .find(id)
                        .orElseThrow(
                            () ->
                                new ContainerStartException(
                                    "container "
                                        + spec.containerId()
                                        + " runs on image '"
                                        + id
                                        + "', which is not built here")));
    Set<Capability> needs = EnumSet.copyOf(spec.needs());
    image.ifPresent(i -> needs.addAll(i.needs()));
    for (Capability needed : needs) {
      capabilities()
          .whyNot(needed)
          .ifPresent(
              why -> {
                throw new ContainerStartException(
                    "container " + spec.containerId() + " needs " + needed + ": " + why);
              });
    }
    List<String> command = new ArrayList<>();
    Path javaHome =
        image.map(ContainerImage::javaHome).orElse(Path.of(System.getProperty("java.home")));
    command.add(javaHome.resolve("bin").resolve("java").toString());
    command.add("-cp");
    List<String> classpath = new ArrayList<>();
    for (ClasspathEntry e : spec.classpath()) {
      classpath.add(
          switch (e) {
            case ClasspathEntry.Jar jar -> jars.jar(jar.sha256()).toString();
            case ClasspathEntry.HostPath host -> host.path();
          });
    }
    image.ifPresent(i -> classpath.addAll(i.classpath()));
    command.add(String.join(File.pathSeparator, classpath));
    command.add(ContainerSpec.ENTRYPOINT);
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().clear();
    image.ifPresent(i -> builder.environment().putAll(i.env()));
    builder.environment().putAll(spec.environment());
    builder
        .environment()
        .put(ContainerEnvironment.PARENT_PID, Long.toString(ProcessHandle.current().pid()));
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new ContainerStartException("could not start container " + spec.containerId(), e);
    }
    Plain p = new Plain(spec.containerId(), process);
    live.add(p);
    CompletableFuture<Void> out = pump(p, process.getInputStream(), false, output);
    CompletableFuture<Void> err = pump(p, process.getErrorStream(), true, output);
    process
        .onExit()
        .thenCompose(x -> CompletableFuture.allOf(out, err))
        .whenComplete(
            (x, e) -> {
              live.remove(p);
              p.exit.complete(process.exitValue());
            });
    return p;
  }

  private static CompletableFuture<Void> pump(
      Plain p, InputStream stream, boolean stderr, OutputListener output) {
    return CompletableFuture.runAsync(
        () -> {
          try (BufferedReader r =
              new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
              if (stderr) {
                p.remember(line);
              }
              output.line(stderr, line);
            }
          } catch (IOException | UncheckedIOException e) {
            // ended
          }
        },
        r -> Thread.ofVirtual().start(r));
  }

  @Override
  public void close() {
    closed = true;
    List<Plain> all = List.copyOf(live);
    all.forEach(Plain::kill);
    for (Plain p : all) {
      try {
        p.exit.get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("container " + p.id + " did not end", e);
      }
    }
  }

  private static final class Plain implements ContainerHandle {
    final String id;
    final Process process;
    final CompletableFuture<Integer> exit = new CompletableFuture<>();
    final ArrayDeque<String> tail = new ArrayDeque<>();

    Plain(String id, Process process) {
      this.id = id;
      this.process = process;
    }

    synchronized void remember(String line) {
      if (tail.size() == 50) {
        tail.removeFirst();
      }
      tail.addLast(line);
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public OptionalLong pid() {
      return OptionalLong.of(process.pid());
    }

    @Override
    public CompletableFuture<Integer> onExit() {
      return exit.copy();
    }

    @Override
    public boolean isAlive() {
      return process.isAlive();
    }

    @Override
    public void stop() {
      process.destroy();
    }

    @Override
    public void kill() {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }

    @Override
    public synchronized List<String> stderrTail() {
      return List.copyOf(tail);
    }
  }

  /**
   * The simplest placement that refuses anything: memory requests reserved against a fixed amount;
   * CPU requests are not counted, and no GPU is ever offered.
   */
  private static final class MemoryPlacement implements Placement {
    private final long memoryMib;
    private long reservedMib; // guarded by this
    private volatile Runnable onRelease = () -> {};

    MemoryPlacement(long memoryMib) {
      this.memoryMib = memoryMib;
    }

    @Override
    public Optional<String> neverFits(ResourceRequest request) {
      if (!request.gpus().isEmpty()) {
        return Optional.of("the plain test backend has no GPUs");
      }
      if (request.memoryRequestMib() > memoryMib) {
        return Optional.of(
            "a memory request of "
                + request.memoryRequestMib()
                + " MiB can never fit: the plain test backend has "
                + memoryMib
                + " MiB");
      }
      return Optional.empty();
    }

    @Override
    public synchronized Outcome place(ResourceRequest request) {
      long free = memoryMib - reservedMib;
      if (request.memoryRequestMib() > free) {
        return new Waiting("needs " + request.memoryRequestMib() + " MiB, " + free + " MiB free");
      }
      reservedMib += request.memoryRequestMib();
      return new Placed(new Reservation(0, request.memoryRequestMib(), "", List.of()));
    }

    @Override
    public synchronized void release(Reservation reservation) {
      reservedMib -= reservation.memoryMib();
    }

    @Override
    public boolean hasGpus() {
      return false;
    }

    @Override
    public void onRelease(Runnable action) {
      onRelease = action;
    }

    @Override
    public void announceRelease() {
      onRelease.run();
    }
  }
}
