package dev.skiff.testing;

import dev.skiff.SkiffException;
import dev.skiff.internal.Connection;
import dev.skiff.internal.spi.ControlPlaneFactory;
import dev.skiff.internal.spi.EmbeddedConfig;
import dev.skiff.internal.spi.EmbeddedControlPlane;
import dev.skiff.internal.spi.NodeConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit 5 extension that runs an embedded Skiff control plane for a test class, so that every
 * {@code app.run()} in the tests uses it. When the tests end it stops the control plane and checks
 * that no container process is left; a leftover fails the test class.
 *
 * <pre>{@code
 * @RegisterExtension static final SkiffExtension skiff = SkiffExtension.create();
 * }</pre>
 *
 * <p>Options combine through {@link #builder()}:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final SkiffExtension skiff =
 *     SkiffExtension.builder()
 *         .withoutWarmContainers()
 *         .withoutSandbox()
 *         .node(2, 1024, "eu-west-1", List.of("A100"))
 *         .build();
 * }</pre>
 *
 * <p>Where bubblewrap is installed, containers run sandboxed and see no host files but their
 * classpath: to hand them files, make them under {@link SharedTempDirFactory#root()} (for example
 * with {@code @TempDir(factory = SharedTempDirFactory.class)}).
 *
 * <p>Each test's control plane has a fresh data directory; built images and the Maven artifacts
 * they resolve go there too, unless the builder asks for {@link Builder#sharedBuildCache()}.
 *
 * <p>Registered as a static field it serves the whole class (containers stay warm between tests);
 * as an instance field, each test gets a fresh control plane. Thread-safe.
 */
public final class SkiffExtension
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
  private static final Duration EXIT_WAIT = Duration.ofSeconds(10);

  /**
   * The JVM options of test containers unless the builder says otherwise: the C1 compiler alone. A
   * test's containers live for seconds, and without C2 a container takes about half the CPU to
   * start and serve its first inputs (what they compute is the same).
   */
  public static final List<String> QUICK_START_JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1");

  private final EmbeddedConfig config;
  private EmbeddedControlPlane plane; // guarded by this
  private Path dataDir; // guarded by this; a temporary directory while the plane runs
  private boolean perClass; // guarded by this

  private SkiffExtension(EmbeddedConfig config) {
    this.config = config;
  }

  /** An extension with the embedded defaults; the same as {@code builder().build()}. */
  public static SkiffExtension create() {
    return builder().build();
  }

  /** A builder of an extension with options, which combine; each starts at the default. */
  public static Builder builder() {
    return new Builder();
  }

  /** The settings the control plane starts with (before its temporary data directory). */
  EmbeddedConfig config() {
    return config;
  }

  /**
   * The options of a {@link SkiffExtension}. Each option is checked when it is set; options not set
   * keep the embedded defaults. Not thread-safe; {@link #build()} makes an extension that no later
   * change to the builder affects.
   */
  public static final class Builder {
    private EmbeddedConfig config =
        EmbeddedConfig.defaults().withContainerJvmOptions(QUICK_START_JVM_OPTIONS);

    private Builder() {}

    /**
     * Caps functions that set no {@code maxContainers} at {@code maxContainers} containers (by
     * default max(2, cores)).
     *
     * @throws IllegalArgumentException if {@code maxContainers} is less than 1
     */
    public Builder defaultMaxContainers(int maxContainers) {
      config = config.withDefaultMaxContainers(maxContainers);
      return this;
    }

    /**
     * Starts no container ahead of need, so that every container process a test sees belongs to a
     * function (useful when a test kills or inspects containers). By default one warm container is
     * kept ready per classpath.
     */
    public Builder withoutWarmContainers() {
      config = config.withWarmContainers(0);
      return this;
    }

    /**
     * Places containers on a node declared here instead of this machine as detected: {@code cpus}
     * cores and {@code memoryMib} MiB for requests to reserve, the region label {@code region}, and
     * the GPUs {@code gpus} by device index (e.g. {@code List.of("A100", "A100")}), so that tests
     * of capacity, GPU fallback and regions run anywhere.
     *
     * @throws IllegalArgumentException if a value is not allowed (cpus or memory not positive, a
     *     region or GPU type that is not a plain name)
     */
    public Builder node(double cpus, long memoryMib, String region, List<String> gpus) {
      config = config.withNode(new NodeConfig(cpus, memoryMib, region, gpus));
      return this;
    }

    /**
     * Runs containers as plain processes even where bubblewrap is installed, as on a machine
     * without it (functions that need the sandbox fail at {@code app.run()}).
     */
    public Builder withoutSandbox() {
      config = config.withSandbox(false);
      return this;
    }

    /**
     * Keeps built images and the Maven artifacts they resolve in {@link
     * SkiffExtension#sharedBuildCache()}, across test classes and runs, instead of in the test's
     * fresh data directory (the default, where every image is built again): a Debian root is then
     * made once per machine. Nothing prunes that directory; delete it to build afresh.
     */
    public Builder sharedBuildCache() {
      config = config.withBuildCache(SkiffExtension.sharedBuildCache());
      return this;
    }

    /**
     * Starts containers with these JVM options instead of {@link #QUICK_START_JVM_OPTIONS} (an
     * empty list: the options of containers outside tests).
     *
     * @throws IllegalArgumentException if an option does not start with '-' or sets the classpath
     */
    public Builder containerJvmOptions(List<String> options) {
      config = config.withContainerJvmOptions(options);
      return this;
    }

    /** The extension with these options. */
    public SkiffExtension build() {
      return new SkiffExtension(config);
    }
  }

  /** Where the control plane listens, {@code host:port}. */
  public synchronized String target() {
    if (plane == null) {
      throw new IllegalStateException("the Skiff control plane is not running");
    }
    return plane.target();
  }

  /**
   * The control plane's client token, for gRPC clients and the CLI. Web endpoints refuse it; they
   * take web tokens ({@code AppRun.createWebToken}).
   */
  public synchronized String token() {
    if (plane == null) {
      throw new IllegalStateException("the Skiff control plane is not running");
    }
    return plane.token();
  }

  /** The control plane's data directory (a temporary one, deleted when the plane stops). */
  public synchronized Path dataDir() {
    if (plane == null) {
      throw new IllegalStateException("the Skiff control plane is not running");
    }
    return dataDir;
  }

  /**
   * The container JVMs currently alive under this JVM: the processes whose first argument is {@code
   * -Dskiff.container=<id>} (in a sandbox, the JVM inside it, not bubblewrap's processes).
   */
  public static List<ProcessHandle> containerProcesses() {
    return ProcessHandle.current()
        .descendants()
        .filter(ProcessHandle::isAlive)
        .filter(SkiffExtension::isContainerJvm)
        .toList();
  }

  private static boolean isContainerJvm(ProcessHandle p) {
    ProcessHandle.Info info = p.info();
    String[] args = info.arguments().orElse(null);
    if (args != null) {
      return args.length > 0 && args[0].startsWith("-Dskiff.container=");
    }
    // Arguments unknown: fall back on the command line, where bwrap comes first.
    String line = info.commandLine().orElse("");
    return line.contains(" -Dskiff.container=") && !info.command().orElse("").endsWith("/bwrap");
  }

  @Override
  public synchronized void beforeAll(ExtensionContext context) {
    perClass = true;
    start();
  }

  @Override
  public synchronized void beforeEach(ExtensionContext context) {
    if (!perClass) {
      start();
    }
  }

  @Override
  public synchronized void afterEach(ExtensionContext context) {
    if (!perClass) {
      stop();
    }
  }

  @Override
  public synchronized void afterAll(ExtensionContext context) {
    stop();
  }

  private void start() {
    ControlPlaneFactory factory =
        ServiceLoader.load(ControlPlaneFactory.class)
            .findFirst()
            .orElseThrow(() -> new SkiffException("skiff-server is not on the test classpath"));
    try {
      dataDir = Files.createTempDirectory("skiff-data-");
    } catch (IOException e) {
      throw new UncheckedIOException("could not create a data directory for the test", e);
    }
    plane =
        factory.start(
            config
                .withDataDir(dataDir)
                .withSharedDirectories(List.of(SharedTempDirFactory.root())));
    Connection.installDefault(plane);
  }

  /**
   * Where the control planes of tests keep built images and their Maven artifacts, across test
   * classes and runs: {@code $XDG_CACHE_HOME/skiff/test-builds}, else {@code
   * ~/.cache/skiff/test-builds}. Never a real data directory.
   */
  public static Path sharedBuildCache() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path cache =
        xdg != null && !xdg.isBlank()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".cache");
    return cache.resolve("skiff").resolve("test-builds").toAbsolutePath();
  }

  private void stop() {
    Connection.clearDefault();
    if (plane != null) {
      plane.close();
      plane = null;
    }
    Instant deadline = Instant.now().plus(EXIT_WAIT);
    List<ProcessHandle> left = containerProcesses();
    while (!left.isEmpty() && Instant.now().isBefore(deadline)) {
      for (ProcessHandle p : left) {
        try {
          p.onExit()
              .get(Duration.between(Instant.now(), deadline).toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        } catch (ExecutionException | TimeoutException e) {
          break;
        }
      }
      left = containerProcesses();
    }
    if (dataDir != null) {
      deleteTree(dataDir);
      dataDir = null;
    }
    if (!left.isEmpty()) {
      left.forEach(ProcessHandle::destroyForcibly);
      throw new AssertionError("container processes outlived the Skiff control plane: " + left);
    }
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // Best effort: the directory is under the system's temporary directory.
    }
  }
}
