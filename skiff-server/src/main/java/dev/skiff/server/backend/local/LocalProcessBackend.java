package dev.skiff.server.backend.local;

import dev.skiff.internal.container.ContainerEnvironment;
import dev.skiff.internal.spi.NodeConfig;
import dev.skiff.server.backend.BackendConfig;
import dev.skiff.server.backend.Capabilities;
import dev.skiff.server.backend.Capability;
import dev.skiff.server.backend.ContainerBackend;
import dev.skiff.server.backend.ContainerHandle;
import dev.skiff.server.backend.ContainerImage;
import dev.skiff.server.backend.ContainerSpec;
import dev.skiff.server.backend.ContainerStartException;
import dev.skiff.server.backend.ImageResolver;
import dev.skiff.server.backend.JarResolver;
import dev.skiff.server.backend.OutputListener;
import dev.skiff.server.backend.Placement;
import dev.skiff.server.backend.Resources;
import dev.skiff.server.backend.VolumeResolver;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs each container as a child JVM of this one: {@code java ... -cp <the app's classpath>
 * dev.skiff.internal.container.ContainerMain}, with the container's settings in its environment.
 *
 * <p>Start-up time matters (a cold start is on the caller's path), so containers use the serial
 * collector and an application class-data-sharing archive per jar classpath, kept under {@code
 * ~/.cache/skiff/cds}. Containers never write archives: the first container of a classpath records
 * which classes it loaded, and the control plane makes the archive from that list, which it treats
 * as untrusted, in a JVM that runs no function code; later containers map it read-only. See {@link
 * ClassDataArchives}.
 *
 * <p>Where bubblewrap works ({@link Sandbox#probe()}), every container runs in a {@link Sandbox}:
 * the command line is {@code bwrap <options> -- java ...}, the environment holds only what Skiff
 * sets, the class-data archive is bound read-only (or, for the container that records a class list,
 * a staging directory of its own is bound read-write), and stopping a container sends SIGTERM to
 * its JVM inside the sandbox. Each sandboxed container has its own network namespace; where its
 * spec allows the network, a {@link UserNetwork} is attached to it. Without bubblewrap, what may
 * run as a plain child process is the backend's {@link Unsandboxed} policy (a server's backend
 * refuses to exist without its operator's word); specs that need the sandbox (volumes, an image's
 * own root or files at absolute paths) fail to start. No container inherits this JVM's environment.
 * Processes are forked from {@link ProcessLauncher}'s thread, so that their parent-death signal
 * follows this JVM and not a pooled thread.
 *
 * <p>Each container's stdout and stderr are read line by line on virtual threads and handed to the
 * {@link OutputListener}; the last 50 stderr lines are kept for crash reports.
 *
 * <p>Every process this backend starts is tracked until it exits. {@link #close()} ends them all
 * and waits; a JVM shutdown hook kills whatever is left if this JVM exits without closing the
 * backend. Thread-safe.
 *
 * <p>About 600 lines, most of them the ways it is made (embedded, server, tests) and the start's
 * assembly of steps that live elsewhere: what a spec names ({@link SpecMaterials}), the command
 * line ({@link JvmCommand}), the sandbox ({@link Sandbox}), limits ({@link HardLimits}), the
 * running process ({@link LocalContainer}), placement ({@link NodeCapacity}).
 */
public final class LocalProcessBackend implements ContainerBackend {
  private static final System.Logger LOG = System.getLogger(LocalProcessBackend.class.getName());

  private static final Duration OUTPUT_DRAIN_LIMIT = Duration.ofSeconds(2);
  private static final Duration STOP_GRACE = Duration.ofSeconds(2);
  private static final Duration KILL_WAIT = Duration.ofSeconds(5);
  private static final String NO_REGISTRY_IMAGES =
      "the local backend runs containers as processes on this machine and cannot pull and run an"
          + " image of a container registry; start the server with --backend kubernetes";

  private static final AtomicBoolean WARNED_NO_SANDBOX = new AtomicBoolean();
  private static final AtomicBoolean WARNED_NO_NETWORK = new AtomicBoolean();

  /** What a backend without a working sandbox may still run, as plain child processes. */
  public enum Unsandboxed {
    /** Nothing: every container start fails, saying how to install bubblewrap or opt in. */
    REFUSE,
    /**
     * Containers without secrets (the embedded default's documented fallback); functions with
     * volumes or images' own roots cannot run without the sandbox in any case.
     */
    WITHOUT_SECRETS,
    /** Containers with secrets too: the operator opted in ({@code --allow-unsandboxed}). */
    ALLOW
  }

  private final Path javaExecutable;
  private final Optional<Sandbox> sandbox;
  private final Unsandboxed unsandboxed;
  private final Optional<UserNetwork> network;
  private final List<Path> shared;
  private final ClassDataArchives archives;
  private final Optional<DirectoryJars> directoryJars;
  private final JvmCommand jvm;
  private volatile HardLimits limits = new HardLimits(BackendConfig.DEFAULT_PIDS_LIMIT);
  private volatile long defaultMemoryLimitMib = BackendConfig.DEFAULT_MEMORY_LIMIT_MIB;
  private final NodeCapacity capacity;
  private final SpecMaterials materials;
  private final Set<LocalContainer> live = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Thread shutdownHook;

  /**
   * A backend running {@code entrypoint} with {@code javaExecutable}.
   *
   * @param cdsDirectory where class-data archives live; empty for none
   */
  LocalProcessBackend(Path javaExecutable, Optional<Path> cdsDirectory, String entrypoint) {
    this(
        javaExecutable,
        cdsDirectory,
        entrypoint,
        Optional.empty(),
        List.of(),
        Unsandboxed.ALLOW,
        Optional.empty());
  }

  /**
   * A backend running {@code entrypoint} with {@code javaExecutable}, in {@code sandbox} when
   * given.
   *
   * @param cdsDirectory where class-data archives live; empty for none
   * @param shared host directories every sandboxed container sees read-write at their host paths
   * @param unsandboxed what runs when {@code sandbox} is empty
   * @param network the user-mode network of sandboxed containers that may reach the outside; empty:
   *     they reach nothing but the control plane
   */
  LocalProcessBackend(
      Path javaExecutable,
      Optional<Path> cdsDirectory,
      String entrypoint,
      Optional<Sandbox> sandbox,
      List<Path> shared,
      Unsandboxed unsandboxed,
      Optional<UserNetwork> network) {
    this(
        javaExecutable,
        cdsDirectory,
        entrypoint,
        sandbox,
        shared,
        unsandboxed,
        network,
        List.of(),
        NodeConfig.detect(),
        VolumeResolver.none(),
        ImageResolver.none(),
        JarResolver.none());
  }

  /**
   * As above, with {@code jvmOptions} added to every container's JVM command line (after Skiff's
   * own flags, so that they can override them), placing containers on {@code node}, mounting the
   * volumes that {@code volumes} resolves, running them on the images {@code images} finds and
   * finding their stored jars through {@code jars}.
   */
  LocalProcessBackend(
      Path javaExecutable,
      Optional<Path> cdsDirectory,
      String entrypoint,
      Optional<Sandbox> sandbox,
      List<Path> shared,
      Unsandboxed unsandboxed,
      Optional<UserNetwork> network,
      List<String> jvmOptions,
      NodeConfig node,
      VolumeResolver volumes,
      ImageResolver images,
      JarResolver jars) {
    this.javaExecutable = javaExecutable;
    this.sandbox = sandbox;
    this.unsandboxed = unsandboxed;
    this.network = network;
    this.shared = List.copyOf(shared);
    this.archives = new ClassDataArchives(javaExecutable, cdsDirectory, sandbox);
    this.directoryJars =
        cdsDirectory.map(d -> new DirectoryJars(d.resolveSibling(d.getFileName() + "-jars")));
    directoryJars.ifPresent(d -> Thread.ofVirtual().name("skiff-jars-sweep").start(d::sweep));
    this.jvm = new JvmCommand(javaExecutable, entrypoint, jvmOptions);
    this.capacity = new NodeCapacity(node);
    this.materials = new SpecMaterials(volumes, images, jars);
    this.shutdownHook = new Thread(this::killAll, "skiff-container-reaper");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * The embedded default: a backend that starts containers with the {@code java} of this JVM and
   * keeps class-data archives under {@code ~/.cache/skiff/cds}, sandboxed when {@code sandboxed} is
   * true and bubblewrap works on this machine (probed once per JVM), whose sandboxed containers
   * also see the {@code shared} host directories read-write at their paths. Without the sandbox,
   * containers without secrets run as plain processes ({@link Unsandboxed#WITHOUT_SECRETS}), with a
   * warning. Containers are placed on this machine as detected ({@link NodeConfig#detect()}).
   */
  public static LocalProcessBackend create(boolean sandboxed, List<Path> shared) {
    return create(
        sandboxed,
        shared,
        List.of(),
        NodeConfig.detect(),
        VolumeResolver.none(),
        ImageResolver.none(),
        JarResolver.none());
  }

  /**
   * As {@link #create(boolean, List)}, with {@code jvmOptions} added to every container's JVM
   * command line, placing containers on {@code node}, mounting the volumes {@code volumes}
   * resolves, on the images {@code images} finds, with the stored jars {@code jars} finds.
   */
  public static LocalProcessBackend create(
      boolean sandboxed,
      List<Path> shared,
      List<String> jvmOptions,
      NodeConfig node,
      VolumeResolver volumes,
      ImageResolver images,
      JarResolver jars) {
    Optional<Sandbox> sandbox = sandboxed ? Sandbox.probe() : Optional.empty();
    if (sandboxed && sandbox.isEmpty() && WARNED_NO_SANDBOX.compareAndSet(false, true)) {
      LOG.log(
          Level.WARNING,
          "bubblewrap (bwrap) is not installed or does not work here: containers run as plain"
              + " processes that see this machine's files and network, and functions with"
              + " secrets, volumes or Debian images cannot run; to sandbox them, "
              + Sandbox.INSTALL_HINT);
    }
    return create(
        sandbox, shared, Unsandboxed.WITHOUT_SECRETS, jvmOptions, node, volumes, images, jars);
  }

  /**
   * A long-running server's backend: sandboxed where bubblewrap works; otherwise, unless {@code
   * allowUnsandboxed}, it refuses to be made at all, so that a server never runs containers
   * unsandboxed without its operator's word.
   *
   * @param containerJvmOptions added to every container's JVM command line
   * @param node the node containers are placed on
   * @param volumes where the volumes containers mount keep their files
   * @param images where the images containers run on are found
   * @param jars where the stored jars of their classpaths are found
   * @throws IllegalStateException without a working sandbox and without {@code allowUnsandboxed}
   */
  public static LocalProcessBackend forServer(
      boolean allowUnsandboxed,
      List<String> containerJvmOptions,
      NodeConfig node,
      VolumeResolver volumes,
      ImageResolver images,
      JarResolver jars) {
    Optional<Sandbox> sandbox = Sandbox.probe();
    if (sandbox.isEmpty()) {
      if (!allowUnsandboxed) {
        throw new IllegalStateException(
            "bubblewrap (bwrap) is not installed or does not work here, and a server runs no"
                + " container outside its sandbox unless told to: "
                + Sandbox.INSTALL_HINT
                + ", or start it with --allow-unsandboxed (containers then run as plain processes"
                + " that see this machine's files and network)");
      }
      LOG.log(
          Level.WARNING,
          "--allow-unsandboxed: bubblewrap (bwrap) does not work here, so containers run as plain"
              + " processes that see this machine's files and network");
    }
    return create(
        sandbox, List.of(), Unsandboxed.ALLOW, containerJvmOptions, node, volumes, images, jars);
  }

  private static LocalProcessBackend create(
      Optional<Sandbox> sandbox,
      List<Path> shared,
      Unsandboxed unsandboxed,
      List<String> jvmOptions,
      NodeConfig node,
      VolumeResolver volumes,
      ImageResolver images,
      JarResolver jars) {
    Optional<UserNetwork> network = sandbox.isPresent() ? userNetwork() : Optional.empty();
    return new LocalProcessBackend(
        defaultJava(),
        LocalDirectories.classDataArchives(),
        ContainerSpec.ENTRYPOINT,
        sandbox,
        shared,
        unsandboxed,
        network,
        jvmOptions,
        node,
        volumes,
        images,
        jars);
  }

  /** The user-mode network for sandboxed containers, or empty with a warning once per JVM. */
  private static Optional<UserNetwork> userNetwork() {
    Optional<UserNetwork> network = UserNetwork.find(LocalDirectories.cache().resolve("net"));
    if (network.isEmpty() && WARNED_NO_NETWORK.compareAndSet(false, true)) {
      LOG.log(
          Level.WARNING,
          "slirp4netns is not installed: sandboxed containers reach nothing but the control plane;"
              + " to give them outbound network, "
              + UserNetwork.INSTALL_HINT);
    }
    return network;
  }

  /** The sandbox containers run in, if any. */
  public Optional<Sandbox> sandbox() {
    return sandbox;
  }

  /**
   * Everything where the sandbox works. Without it: no volumes, own roots or isolation, and secrets
   * only where the operator allowed unsandboxed containers; GPUs either way (a plain process sees
   * the devices its {@code CUDA_VISIBLE_DEVICES} lists).
   */
  /** The control socket itself: a sandbox binds it read-only at its host path. */
  @Override
  public String advertisedEndpoint(Path controlSocket) {
    return "unix:" + controlSocket;
  }

  /** Places containers on this one node: its CPU, memory and GPUs ({@link NodeCapacity}). */
  @Override
  public Placement placement() {
    return capacity;
  }

  /**
   * Everything but registry images when sandboxed; without a sandbox, only GPUs (and secrets if
   * allowed).
   */
  @Override
  public Capabilities capabilities() {
    if (sandbox.isPresent()) {
      return Capabilities.all().without(Capability.REGISTRY_IMAGE, NO_REGISTRY_IMAGES);
    }
    Capabilities without =
        Capabilities.none(
                "bubblewrap (bwrap) is not installed or does not work on this machine; "
                    + Sandbox.INSTALL_HINT)
            .with(Capability.GPUS)
            .without(Capability.REGISTRY_IMAGE, NO_REGISTRY_IMAGES);
    return unsandboxed == Unsandboxed.ALLOW ? without.with(Capability.SECRETS) : without;
  }

  /** Why containers cannot run in the sandbox here; only without one. */
  private String noSandbox() {
    return capabilities().whyNot(Capability.SANDBOX).orElseThrow();
  }

  /**
   * Starts a container in four steps: refuse what cannot run here, wrap the JVM's command line in
   * the sandbox ({@link #sandboxed}) and the control groups of its limits ({@link HardLimits}),
   * give it its environment ({@link #environment}), then fork it and watch it ({@link #watch}).
   */
  @Override
  public ContainerHandle start(ContainerSpec requested, OutputListener output) {
    if (closed.get()) {
      throw new IllegalStateException("the local process backend is closed");
    }
    ContainerSpec spec = withDefaultMemoryLimit(requested);
    Optional<ContainerImage> image = materials.image(spec);
    refuseWhatCannotRun(spec, image);
    Optional<ClassDataArchives.Jdk> jdk = archiveJdk(image);
    List<String> classpath = classpath(spec, image, jdk);
    ClassDataArchives.Plan archive =
        jdk.isPresent() ? archives.plan(jdk.get(), classpath) : ClassDataArchives.Plan.NONE;
    List<String> command = jvm.of(spec, image, classpath, archive.flags());
    if (sandbox.isPresent()) {
      command = sandboxed(spec, image, classpath, archive, command);
    }
    Optional<CgroupLimits.Group> group;
    try {
      group = limits.groupFor(spec);
    } catch (RuntimeException e) {
      archive.abandon();
      throw e;
    }
    if (group.isPresent()) {
      command = group.get().wrap(command); // outermost: the sandbox runs inside the groups
    }
    LOG.log(Level.TRACE, "container {0}: {1}", spec.containerId(), command);
    ProcessBuilder builder = new ProcessBuilder(command);
    // Only what Skiff sets, sandboxed or not: nothing of this JVM's environment is inherited.
    builder.environment().clear();
    builder.environment().putAll(environment(spec, image));
    if (sandbox.isEmpty()) {
      image.ifPresent(i -> builder.directory(Path.of(i.workdir()).toFile()));
    }
    Process process;
    try {
      process = ProcessLauncher.start(builder);
    } catch (IOException | RuntimeException e) {
      archive.abandon();
      group.ifPresent(CgroupLimits.Group::remove);
      throw new ContainerStartException(
          "could not start container " + spec.containerId() + " with " + javaExecutable + ": " + e,
          e);
    }
    closeQuietly(process.getOutputStream());
    Optional<Process> slirp;
    try {
      slirp =
          attachesNetwork(spec)
              ? Optional.of(network.orElseThrow().attach(spec.containerId(), process))
              : Optional.empty();
    } catch (RuntimeException e) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      archive.abandon();
      // A control group can be removed only once its processes are gone.
      group.ifPresent(g -> process.onExit().thenRun(g::remove));
      throw e;
    }
    LocalContainer container = new LocalContainer(spec.containerId(), process, sandbox.isPresent());
    live.add(container);
    watch(
        container,
        output,
        () -> {
          slirp.ifPresent(UserNetwork::detach);
          archive.afterExit();
          group.ifPresent(g -> HardLimits.afterExit(container, g, spec));
        });
    LOG.log(
        Level.DEBUG,
        "started container {0} as pid {1}",
        spec.containerId(),
        Long.toString(process.pid()));
    // A close() that ran between the check above and live.add() would have missed this process.
    if (closed.get()) {
      container.kill();
    }
    return container;
  }

  /**
   * Sets the limits of containers whose function sets none: the memory limit (0: none) and the most
   * processes and threads of each container (0: no limit). Call before the first container starts.
   */
  LocalProcessBackend withContainerLimits(long defaultMemoryLimitMib, int pidsLimit) {
    this.defaultMemoryLimitMib = defaultMemoryLimitMib;
    this.limits = new HardLimits(pidsLimit);
    return this;
  }

  /** The spec with the default memory limit where its function sets none; its own limit wins. */
  private ContainerSpec withDefaultMemoryLimit(ContainerSpec spec) {
    Resources r = spec.resources();
    if (r.memoryLimitMib() > 0 || defaultMemoryLimitMib <= 0) {
      return spec;
    }
    return new ContainerSpec(
        spec.containerId(),
        spec.classpath(),
        spec.environment(),
        spec.volumes(),
        spec.image(),
        spec.reach(),
        new Resources(
            r.milliCpuRequest(),
            r.milliCpuLimit(),
            r.memoryRequestMib(),
            Math.max(defaultMemoryLimitMib, r.memoryRequestMib())),
        spec.registryImage());
  }

  /** Refuses a spec that needs what this backend lacks, or that its policy does not allow. */
  private void refuseWhatCannotRun(ContainerSpec spec, Optional<ContainerImage> image) {
    spec.registryImage()
        .ifPresent(
            r -> {
              throw new ContainerStartException(
                  "container "
                      + spec.containerId()
                      + " runs on the registry image "
                      + r.reference()
                      + ": "
                      + NO_REGISTRY_IMAGES);
            });
    refuseUnsandboxed(spec);
    if (sandbox.isEmpty() && image.map(i -> !i.mounts().isEmpty()).orElse(false)) {
      throw new ContainerStartException(
          "container "
              + spec.containerId()
              + " has image files at absolute paths, which needs the"
              + " container sandbox: "
              + noSandbox());
    }
    boolean needsSandbox =
        !spec.volumes().isEmpty() || image.flatMap(ContainerImage::rootFs).isPresent();
    if (needsSandbox && sandbox.isEmpty()) {
      throw new ContainerStartException(
          "container "
              + spec.containerId()
              + " mounts volumes or has its own root file system,"
              + " which needs the container sandbox: "
              + noSandbox());
    }
  }

  /**
   * The sandbox step: {@code bwrap <options> -- java ...}, showing the container its classpath, its
   * image's files and its archive read-only, the shared directories and its volumes read-write, its
   * control socket, its network and its GPUs.
   */
  private List<String> sandboxed(
      ContainerSpec spec,
      Optional<ContainerImage> image,
      List<String> classpath,
      ClassDataArchives.Plan archive,
      List<String> command) {
    List<Path> readOnly = new ArrayList<>();
    classpath.forEach(e -> readOnly.add(Path.of(e)));
    image.ifPresent(i -> readOnly.addAll(i.readOnly()));
    readOnly.addAll(archive.readOnly());
    List<Path> writable = new ArrayList<>(shared);
    writable.addAll(archive.writable());
    return sandbox
        .orElseThrow()
        .wrap(
            new Sandbox.Spec(
                image.map(ContainerImage::javaHome).orElse(javaExecutable.getParent().getParent()),
                readOnly,
                image.flatMap(ContainerImage::rootFs),
                materials.volumeDirectories(spec),
                writable,
                image.map(ContainerImage::workdir).orElse("/tmp"),
                image.map(ContainerImage::mounts).orElse(Map.of()),
                spec.reach().controlSocket(),
                attachesNetwork(spec) ? network.map(UserNetwork::resolvConf) : Optional.empty(),
                spec.reach().gpus()),
            command);
  }

  /**
   * The environment step: the spec's variables over its image's on the sandbox's base environment,
   * and what this backend adds to the {@link ContainerEnvironment} contract: the network interface
   * to wait for, the parent to watch where no sandbox ends the container with this JVM, an image's
   * JDK.
   */
  private Map<String, String> environment(ContainerSpec spec, Optional<ContainerImage> image) {
    Map<String, String> container = new LinkedHashMap<>();
    image.ifPresent(i -> container.putAll(i.env())); // the spec's (secrets, Skiff's own) win
    container.putAll(spec.environment());
    Map<String, String> env = new LinkedHashMap<>(Sandbox.environment(container));
    if (attachesNetwork(spec)) {
      env.put(ContainerEnvironment.NETWORK_INTERFACE, UserNetwork.INTERFACE);
    }
    if (sandbox.isEmpty()) {
      // bwrap's --die-with-parent does this for sandboxed containers.
      env.put(ContainerEnvironment.PARENT_PID, Long.toString(ProcessHandle.current().pid()));
    }
    image.ifPresent(i -> env.put("JAVA_HOME", i.javaHome().toString()));
    return env;
  }

  /**
   * Reads the container's output and, once it has exited and its output has been read (or a short
   * while after), forgets it, runs {@code cleanUp} and completes its exit.
   */
  private void watch(LocalContainer container, OutputListener output, Runnable cleanUp) {
    Process process = container.process();
    CompletableFuture<Void> stdout = container.pump(process.getInputStream(), false, output);
    CompletableFuture<Void> stderr = container.pump(process.getErrorStream(), true, output);
    process
        .onExit()
        .thenCompose(
            p ->
                CompletableFuture.allOf(stdout, stderr)
                    .completeOnTimeout(null, OUTPUT_DRAIN_LIMIT.toMillis(), TimeUnit.MILLISECONDS))
        .whenComplete(
            (ignored, error) -> {
              live.remove(container);
              cleanUp.run();
              container.exit.complete(process.exitValue());
            });
  }

  /** Whether {@code spec} runs sandboxed with a user-mode network attached. */
  private boolean attachesNetwork(ContainerSpec spec) {
    return sandbox.isPresent() && network.isPresent() && spec.reach().network();
  }

  /** Refuses, without a sandbox, what this backend's {@link Unsandboxed} policy does not allow. */
  private void refuseUnsandboxed(ContainerSpec spec) {
    if (sandbox.isPresent()) {
      return;
    }
    String why = noSandbox();
    switch (unsandboxed) {
      case REFUSE ->
          throw new ContainerStartException(
              "container "
                  + spec.containerId()
                  + " cannot start: containers run only in the"
                  + " container sandbox here, and "
                  + why);
      case WITHOUT_SECRETS -> {
        if (spec.reach().holdsSecrets()) {
          throw new ContainerStartException(
              "container "
                  + spec.containerId()
                  + " holds secrets, which run only in the"
                  + " container sandbox: "
                  + why);
        }
      }
      case ALLOW -> {
        // The operator opted in.
      }
    }
  }

  /** The java executable of a backend made by {@link #create(boolean, List)}. */
  static Path defaultJava() {
    return Path.of(System.getProperty("java.home"), "bin", "java");
  }

  /**
   * The JDK that runs a container on {@code image} and dumps its class-data archive: this JVM's, or
   * the image's; none for an image with a root file system of its own, whose JDK sees other paths.
   */
  private Optional<ClassDataArchives.Jdk> archiveJdk(Optional<ContainerImage> image) {
    if (image.isEmpty()) {
      return Optional.of(archives.own());
    }
    return image.get().rootFs().isPresent()
        ? Optional.empty()
        : Optional.of(new ClassDataArchives.Jdk(image.get().javaHome(), image.get().javaFeature()));
  }

  /**
   * The container's classpath on this machine, its directories as jars where it can have an archive
   * (the JVM archives classes from jars only).
   */
  private List<String> classpath(
      ContainerSpec spec, Optional<ContainerImage> image, Optional<ClassDataArchives.Jdk> jdk) {
    List<String> given = materials.classpath(spec, image);
    return jdk.isPresent() ? directoryJars.map(d -> d.jarred(given)).orElse(given) : given;
  }

  /** The command line for a container, given the flags of its class-data archive plan. */
  List<String> command(ContainerSpec spec, List<String> archiveFlags) {
    return jvm.of(
        spec,
        Optional.empty(),
        classpath(spec, Optional.empty(), Optional.of(archives.own())),
        archiveFlags);
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    List<LocalContainer> all = List.copyOf(live);
    all.forEach(LocalContainer::stop);
    if (!awaitExit(all, STOP_GRACE)) {
      all.forEach(LocalContainer::kill);
      if (!awaitExit(all, KILL_WAIT)) {
        LOG.log(Level.WARNING, "some container processes did not end after SIGKILL");
      }
    }
    archives.close();
    limits.close();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // This JVM is already shutting down; the hook runs anyway and finds nothing left.
    }
  }

  private static boolean awaitExit(List<LocalContainer> containers, Duration limit) {
    CompletableFuture<?>[] exits =
        containers.stream().map(c -> c.exit).toArray(CompletableFuture<?>[]::new);
    try {
      CompletableFuture.allOf(exits).get(limit.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      return true; // exits never complete exceptionally
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void killAll() {
    live.forEach(LocalContainer::kill);
    archives.close();
  }

  private static void closeQuietly(OutputStream stream) {
    try {
      stream.close();
    } catch (IOException e) {
      // Nothing to do: the child reads no stdin.
    }
  }
}
