package dev.skiff.internal.spi;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of an embedded control plane. Immutable; change one setting with a {@code with...}
 * method.
 *
 * @param defaultMaxContainers the container cap of a function that sets no maximum of its own
 * @param defaultScaledownWindow how long an idle container lives when a function sets no {@code
 *     scaledownWindow}
 * @param warmContainers how many containers to keep started ahead of need for each classpath the
 *     apps use; a new container is taken from them (and they are refilled), so that a function's
 *     first container need not wait for a JVM to start. 0 turns this off.
 * @param node what the local node offers containers (cores, memory, GPUs, region)
 * @param dataDir where the control plane keeps what outlives a run (volumes, built images, its
 *     store); created when first needed
 * @param sandbox whether containers run in the bubblewrap sandbox where it works (true by default);
 *     false runs them as plain processes, and functions that need the sandbox fail
 * @param sharedDirectories host directories that every sandboxed container sees read-write at their
 *     host paths (none by default): a test fixture's way to hand files to containers
 * @param buildCache where built images and the Maven artifacts they resolve are kept, if not in the
 *     data directory: control planes on one machine may share one (a build holds a file lock per
 *     recipe), as test fixtures do so that each test need not build the same images again
 */
public record EmbeddedConfig(
    int defaultMaxContainers,
    Duration defaultScaledownWindow,
    int warmContainers,
    NodeConfig node,
    Path dataDir,
    boolean sandbox,
    List<Path> sharedDirectories,
    Optional<Path> buildCache,
    List<String> containerJvmOptions) {
  /** Checks the values. */
  public EmbeddedConfig {
    if (defaultMaxContainers < 1) {
      throw new IllegalArgumentException(
          "defaultMaxContainers must be >= 1, was " + defaultMaxContainers);
    }
    if (warmContainers < 0 || warmContainers > 16) {
      throw new IllegalArgumentException("warmContainers must be 0..16, was " + warmContainers);
    }
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(dataDir, "dataDir");
    sharedDirectories = sharedDirectories.stream().map(Path::toAbsolutePath).toList();
    buildCache = buildCache.map(Path::toAbsolutePath);
    containerJvmOptions = checkContainerJvmOptions(containerJvmOptions);
  }

  /**
   * {@code options} as an unmodifiable list, if each may be added to a container's JVM command
   * line: it starts with '-' and does not choose what the JVM runs (classpath, module, jar, source
   * file) or stop it from running Skiff's entrypoint (version, help, dry run).
   *
   * @throws IllegalArgumentException naming the first option that is not allowed, and what is
   */
  public static List<String> checkContainerJvmOptions(List<String> options) {
    for (String option : options) {
      String name = option.contains("=") ? option.substring(0, option.indexOf('=')) : option;
      if (!option.startsWith("-") || REFUSED_JVM_OPTIONS.contains(name) || option.contains("\0")) {
        throw new IllegalArgumentException(
            "container JVM option '"
                + option
                + "' is not allowed; allowed are JVM options that start with '-', other than "
                + String.join(", ", REFUSED_JVM_OPTIONS));
      }
    }
    return List.copyOf(options);
  }

  /** Options that change what a container's JVM runs, or keep it from running it. */
  private static final List<String> REFUSED_JVM_OPTIONS =
      List.of(
          "-cp",
          "-classpath",
          "--class-path",
          "-jar",
          "-m",
          "--module",
          "--source",
          "-version",
          "--version",
          "-help",
          "--help",
          "-h",
          "-?",
          "-X",
          "--help-extra",
          "--dry-run",
          "--list-modules",
          "-d",
          "--describe-module",
          "--validate-modules");

  /** Settings without the sandbox options: sandboxed where possible, nothing shared. */
  public EmbeddedConfig(
      int defaultMaxContainers,
      Duration defaultScaledownWindow,
      int warmContainers,
      NodeConfig node,
      Path dataDir) {
    this(
        defaultMaxContainers,
        defaultScaledownWindow,
        warmContainers,
        node,
        dataDir,
        true,
        List.of(),
        Optional.empty(),
        List.of());
  }

  /**
   * The data directory used when none is given: {@code $SKIFF_HOME/data} if the environment
   * variable {@code SKIFF_HOME} is set, else {@code ~/.skiff/data}.
   */
  public static Path defaultDataDir() {
    String home = System.getenv("SKIFF_HOME");
    Path base =
        home != null && !home.isBlank()
            ? Path.of(home)
            : Path.of(System.getProperty("user.home"), ".skiff");
    return base.resolve("data").toAbsolutePath();
  }

  /**
   * Defaults: a cap of max(2, cores) containers per function, a 60 s idle window, one warm
   * container, this machine as the node ({@link NodeConfig#detect()}) and {@link
   * #defaultDataDir()}.
   */
  public static EmbeddedConfig defaults() {
    return new EmbeddedConfig(
        Math.max(2, Runtime.getRuntime().availableProcessors()),
        Duration.ofSeconds(60),
        1,
        NodeConfig.detect(),
        defaultDataDir());
  }

  /** These settings with another default container cap. */
  public EmbeddedConfig withDefaultMaxContainers(int max) {
    return new EmbeddedConfig(
        max,
        defaultScaledownWindow,
        warmContainers,
        node,
        dataDir,
        sandbox,
        sharedDirectories,
        buildCache,
        containerJvmOptions);
  }

  /** These settings with another default idle window. */
  public EmbeddedConfig withDefaultScaledownWindow(Duration window) {
    return new EmbeddedConfig(
        defaultMaxContainers,
        window,
        warmContainers,
        node,
        dataDir,
        sandbox,
        sharedDirectories,
        buildCache,
        containerJvmOptions);
  }

  /** These settings with another number of warm containers (0 turns them off). */
  public EmbeddedConfig withWarmContainers(int n) {
    return new EmbeddedConfig(
        defaultMaxContainers,
        defaultScaledownWindow,
        n,
        node,
        dataDir,
        sandbox,
        sharedDirectories,
        buildCache,
        containerJvmOptions);
  }

  /** These settings with another node (its capacity, GPUs and region). */
  public EmbeddedConfig withNode(NodeConfig n) {
    return new EmbeddedConfig(
        defaultMaxContainers,
        defaultScaledownWindow,
        warmContainers,
        n,
        dataDir,
        sandbox,
        sharedDirectories,
        buildCache,
        containerJvmOptions);
  }

  /** These settings with another data directory. */
  public EmbeddedConfig withDataDir(Path dir) {
    return new EmbeddedConfig(
        defaultMaxContainers,
        defaultScaledownWindow,
        warmContainers,
        node,
        dir.toAbsolutePath(),
        sandbox,
        sharedDirectories,
        buildCache,
        containerJvmOptions);
  }

  /**
   * These settings with the sandbox on (where bubblewrap works) or off (containers are plain
   * processes and functions that need the sandbox fail at {@code app.run()}).
   */
  public EmbeddedConfig withSandbox(boolean on) {
    return new EmbeddedConfig(
        defaultMaxContainers,
        defaultScaledownWindow,
        warmContainers,
        node,
        dataDir,
        on,
        sharedDirectories,
        buildCache,
        containerJvmOptions);
  }

  /**
   * These settings with host directories that every sandboxed container sees read-write at their
   * host paths. Meant for test fixtures that hand files to containers; anything else should use a
   * volume.
   */
  public EmbeddedConfig withSharedDirectories(List<Path> dirs) {
    return new EmbeddedConfig(
        defaultMaxContainers,
        defaultScaledownWindow,
        warmContainers,
        node,
        dataDir,
        sandbox,
        List.copyOf(dirs),
        buildCache,
        containerJvmOptions);
  }

  /** The directory that built images and their Maven artifacts go to: see {@code buildCache}. */
  public Path buildDirectory() {
    return buildCache.orElse(dataDir);
  }

  /**
   * These settings with built images and their Maven artifacts kept in {@code dir} instead of the
   * data directory, so that control planes on one machine share them.
   */
  public EmbeddedConfig withBuildCache(Path dir) {
    return new EmbeddedConfig(
        defaultMaxContainers,
        defaultScaledownWindow,
        warmContainers,
        node,
        dataDir,
        sandbox,
        sharedDirectories,
        Optional.of(dir),
        containerJvmOptions);
  }

  /**
   * These settings with {@code options} added to every container's JVM command line, after Skiff's
   * own flags (so that they may override them).
   *
   * @throws IllegalArgumentException if an option does not start with '-' or sets the classpath
   */
  public EmbeddedConfig withContainerJvmOptions(List<String> options) {
    return new EmbeddedConfig(
        defaultMaxContainers,
        defaultScaledownWindow,
        warmContainers,
        node,
        dataDir,
        sandbox,
        sharedDirectories,
        buildCache,
        options);
  }
}
