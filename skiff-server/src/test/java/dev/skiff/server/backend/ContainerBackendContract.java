package dev.skiff.server.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skiff.internal.container.ContainerEnvironment;
import dev.skiff.internal.spi.NodeConfig;
import java.io.File;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URISyntaxException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every container backend promises, run against each backend as the control plane gets it:
 * chosen through {@link ContainerBackendProvider#named} and started with the real container
 * entrypoint. A subclass names the backend and the settings it is made with.
 */
abstract class ContainerBackendContract {
  @TempDir Path temp;

  private ContainerBackend backend;
  private ServerSocketChannel control;
  private final List<SocketChannel> held = new CopyOnWriteArrayList<>();
  private Thread acceptor;

  /** The provider's name. */
  abstract String backendName();

  /** The node every backend of the contract is told to place containers on. */
  static final NodeConfig NODE = new NodeConfig(2, 4096, NodeConfig.DEFAULT_REGION, List.of());

  /** What the backend is made with. */
  BackendConfig config() {
    return BackendConfig.embedded(true, List.of(), List.of(), NODE, volumes(), images(), jars());
  }

  /** The id of the contract's image with a root file system of its own. */
  static final String ROOTED = "rooted";

  /** The id of the contract's image that sets an environment variable. */
  static final String WITH_ENV = "with-env";

  /** The images the contract's containers run on, by id: this JVM's JDK, with or without a root. */
  ImageResolver images() {
    Path javaHome = Path.of(System.getProperty("java.home"));
    int feature = Runtime.version().feature();
    return id ->
        switch (id) {
          case ROOTED ->
              Optional.of(
                  new ContainerImage(
                      javaHome,
                      feature,
                      "/",
                      Map.of(),
                      Map.of(),
                      List.of(),
                      List.of(),
                      Optional.of(temp.resolve("root"))));
          case WITH_ENV ->
              Optional.of(
                  new ContainerImage(
                      javaHome,
                      feature,
                      "/tmp",
                      Map.of(),
                      Map.of("JDK_JAVA_OPTIONS", "-Xlog:gc*:file=" + imageLog()),
                      List.of(),
                      List.of(),
                      Optional.empty()));
          default -> Optional.empty();
        };
  }

  /**
   * Where a container on the image {@link #WITH_ENV} writes its JVM's log: into the volume at
   * {@code /data} where the backend mounts volumes, else at a host path.
   */
  private String imageLog() {
    return backend.capabilities().has(Capability.VOLUMES)
        ? "/data/jvm.log"
        : temp.resolve("jvm.log").toString();
  }

  /** A content hash the contract's jar store resolves to the SDK's entry of the classpath. */
  static final String STORED = "5".repeat(64);

  /** The contract's jar store: {@link #STORED}, and no other jar. */
  JarResolver jars() {
    return sha256 -> {
      assertThat(sha256).isEqualTo(STORED);
      return sdk();
    };
  }

  /** The classpath entry that holds the SDK, and so the container entrypoint. */
  static Path sdk() {
    try {
      return Path.of(
          ContainerEnvironment.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Where the contract keeps the volumes that containers mount by name: one directory each. */
  VolumeResolver volumes() {
    return name -> temp.resolve("volumes").resolve(name);
  }

  @BeforeEach
  void makeBackend() throws IOException {
    backend = ContainerBackendProvider.named(backendName()).create(config());
    // A control socket that accepts and never answers: a warm container waits on it for its
    // function until it is stopped.
    Path socket = temp.resolve("control.sock");
    control = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    control.bind(UnixDomainSocketAddress.of(socket));
    acceptor =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    while (true) {
                      held.add(control.accept());
                    }
                  } catch (IOException e) {
                    // closed
                  }
                });
  }

  @AfterEach
  void closeBackend() throws Exception {
    backend.close();
    control.close();
    acceptor.join(Duration.ofSeconds(5));
    for (SocketChannel c : held) {
      c.close();
    }
  }

  @Test
  void isChosenByNameThroughTheServiceLoader() {
    assertThat(ContainerBackendProvider.all())
        .extracting(ContainerBackendProvider::name)
        .contains(backendName());
    assertThat(ContainerBackendProvider.named(backendName()).isAvailable()).isTrue();
  }

  @Test
  void outputLinesArriveAndThenTheExitReport() throws Exception {
    List<String> lines = new CopyOnWriteArrayList<>();
    // Without the contract's variables the entrypoint says so on stderr and exits with 2.
    ContainerHandle h =
        backend.start(
            new ContainerSpec("c-ct0001", classpath(), Map.of()),
            (stderr, text) -> lines.add((stderr ? "err: " : "out: ") + text));
    assertThat(h.id()).isEqualTo("c-ct0001");
    assertThat(h.onExit().get(60, TimeUnit.SECONDS)).isEqualTo(2);
    assertThat(lines)
        .contains(
            "err: skiff: container started without "
                + ContainerEnvironment.SERVER
                + "; it must be started by the Skiff control plane");
    assertThat(h.stderrTail()).anyMatch(l -> l.contains("started without SKIFF_SERVER"));
    assertThat(h.isAlive()).isFalse();
  }

  @Test
  void placementRefusesWhatCanNeverFitAndPlacesWhatFreesUp() {
    Placement placement = backend.placement();
    assertThat(placement.neverFits(memory(8192)))
        .hasValueSatisfying(why -> assertThat(why).contains("8192 MiB").contains("4096 MiB"));
    assertThat(placement.neverFits(memory(2048))).isEmpty();

    Placement.Outcome first = placement.place(memory(2048));
    assertThat(first).isInstanceOf(Placement.Placed.class);
    assertThat(placement.place(memory(2048))).isInstanceOf(Placement.Placed.class);
    assertThat(placement.place(memory(2048)))
        .isEqualTo(new Placement.Waiting("needs 2048 MiB, 0 MiB free"));

    placement.release(((Placement.Placed) first).reservation());
    assertThat(placement.place(memory(2048))).isInstanceOf(Placement.Placed.class);
  }

  private static ResourceRequest memory(long mib) {
    return new ResourceRequest(0, 0, mib, 0, List.of(), List.of());
  }

  @Test
  void stopEndsAContainer() throws Exception {
    ContainerHandle h = backend.start(warm("c-ct0002"), (stderr, text) -> {});
    await().atMost(Duration.ofSeconds(60)).until(() -> !held.isEmpty());
    assertThat(h.isAlive()).isTrue();
    h.stop();
    assertThat(h.onExit().get(30, TimeUnit.SECONDS)).isNotZero();
    assertThat(h.isAlive()).isFalse();
  }

  @Test
  void closeEndsEveryContainerAndItsProcesses() throws Exception {
    ContainerHandle one = backend.start(warm("c-ct0003"), (stderr, text) -> {});
    ContainerHandle two = backend.start(warm("c-ct0004"), (stderr, text) -> {});
    await().atMost(Duration.ofSeconds(60)).until(() -> held.size() >= 2);
    List<ProcessHandle> processes = new ArrayList<>();
    for (ContainerHandle h : List.of(one, two)) {
      ProcessHandle p = ProcessHandle.of(h.pid().orElseThrow()).orElseThrow();
      processes.add(p);
      processes.addAll(p.descendants().toList());
    }
    assertThat(processes).allMatch(ProcessHandle::isAlive);

    backend.close();

    assertThat(one.onExit().get(30, TimeUnit.SECONDS)).isNotZero();
    assertThat(two.onExit().get(30, TimeUnit.SECONDS)).isNotZero();
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(processes).noneMatch(ProcessHandle::isAlive));
    assertThatThrownBy(() -> backend.start(warm("c-ct0005"), (stderr, text) -> {}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void aSpecNeedingALackingCapabilityIsRefusedSayingWhy() throws IOException {
    Capabilities capabilities = backend.capabilities();
    Map<Capability, ContainerSpec> needing =
        Map.of(
            Capability.VOLUMES,
            new ContainerSpec(
                "c-ct0006", classpath(), Map.of(), Map.of("/data", "scratch"), Optional.empty()),
            Capability.ROOT_FS,
            new ContainerSpec("c-ct0007", classpath(), Map.of(), Map.of(), Optional.of(ROOTED)),
            Capability.SECRETS,
            new ContainerSpec(
                "c-ct0008",
                classpath(),
                Map.of(),
                Map.of(),
                Optional.empty(),
                new ContainerSpec.Reach(Optional.empty(), false, List.of(), true)),
            Capability.REGISTRY_IMAGE,
            new ContainerSpec(
                "c-ct0013",
                classpath(),
                Map.of(),
                Map.of(),
                Optional.empty(),
                ContainerSpec.Reach.none(),
                Resources.NONE,
                Optional.of(
                    new ContainerSpec.RegistryImage(
                        "registry.example/team/jre:21", Map.of(), Optional.empty()))));
    for (var e : needing.entrySet()) {
      Set<Capability> needs = EnumSet.copyOf(e.getValue().needs());
      e.getValue().image().flatMap(images()::find).ifPresent(i -> needs.addAll(i.needs()));
      assertThat(needs).contains(e.getKey());
      Optional<String> why = capabilities.whyNot(e.getKey());
      if (why.isPresent()) {
        assertThatThrownBy(() -> backend.start(e.getValue(), (stderr, text) -> {}))
            .as("%s", e.getKey())
            .isInstanceOf(ContainerStartException.class)
            .hasMessageContaining(e.getValue().containerId())
            .hasMessageContaining(why.get());
      }
    }
  }

  @Test
  void aVolumeIsMountedByNameFromTheDirectoryItResolvesTo() throws Exception {
    Path directory = Files.createDirectories(volumes().directory("scratch"));
    // The JVM's launcher reads these options; it writes its log into the volume as it starts.
    ContainerSpec writing =
        new ContainerSpec(
            "c-ct0009",
            classpath(),
            Map.of("JDK_JAVA_OPTIONS", "-Xlog:gc*:file=/data/jvm.log"),
            Map.of("/data", "scratch"),
            Optional.empty());
    Optional<String> why = backend.capabilities().whyNot(Capability.VOLUMES);
    if (why.isPresent()) {
      assertThatThrownBy(() -> backend.start(writing, (stderr, text) -> {}))
          .isInstanceOf(ContainerStartException.class)
          .hasMessageContaining("c-ct0009")
          .hasMessageContaining(why.get());
      assertThat(directory).isEmptyDirectory();
      return;
    }
    ContainerHandle h = backend.start(writing, (stderr, text) -> {});
    assertThat(h.onExit().get(60, TimeUnit.SECONDS)).isEqualTo(2);
    assertThat(directory.resolve("jvm.log")).isNotEmptyFile();
  }

  @Test
  void aContainerRunsOnTheImageItNamesAsTheBackendResolvesIt() throws Exception {
    Path directory = Files.createDirectories(volumes().directory("scratch"));
    boolean mounts = backend.capabilities().has(Capability.VOLUMES);
    List<String> lines = new CopyOnWriteArrayList<>();
    // The image's environment gives the JVM's launcher options that write its log as it starts.
    ContainerHandle h =
        backend.start(
            new ContainerSpec(
                "c-ct0010",
                classpath(),
                Map.of(),
                mounts ? Map.of("/data", "scratch") : Map.of(),
                Optional.of(WITH_ENV)),
            (stderr, text) -> lines.add(text));
    assertThat(h.onExit().get(60, TimeUnit.SECONDS)).as("%s", lines).isEqualTo(2);
    assertThat((mounts ? directory : temp).resolve("jvm.log")).isNotEmptyFile();

    assertThatThrownBy(
            () ->
                backend.start(
                    new ContainerSpec(
                        "c-ct0011", classpath(), Map.of(), Map.of(), Optional.of("x")),
                    (stderr, text) -> {}))
        .isInstanceOf(ContainerStartException.class)
        .hasMessageContaining("c-ct0011")
        .hasMessageContaining("'x'");
  }

  @Test
  void aStoredJarIsNamedByContentHashAndTheBackendMaterialisesIt() throws Exception {
    // The SDK's entry holds the entrypoint: named by hash, the container runs only if the backend
    // finds it through its jar resolver.
    List<ClasspathEntry> classpath = new ArrayList<>(classpath());
    int sdk = classpath.indexOf(new ClasspathEntry.HostPath(sdk().toString()));
    assertThat(sdk).isNotNegative();
    classpath.set(sdk, new ClasspathEntry.Jar(STORED));
    List<String> lines = new CopyOnWriteArrayList<>();
    ContainerHandle h =
        backend.start(
            new ContainerSpec("c-ct0012", classpath, Map.of()), (stderr, text) -> lines.add(text));
    assertThat(h.onExit().get(60, TimeUnit.SECONDS)).as("%s", lines).isEqualTo(2);
    assertThat(lines).anyMatch(l -> l.contains("started without " + ContainerEnvironment.SERVER));
  }

  /** A warm container: it dials the control socket and waits for a function that never comes. */
  private ContainerSpec warm(String id) {
    Path socket = temp.resolve("control.sock");
    return new ContainerSpec(
        id,
        classpath(),
        ContainerEnvironment.pooled(
            new ContainerEnvironment.Identity(
                backend.advertisedEndpoint(socket), "token-" + id, id)),
        Map.of(),
        Optional.empty(),
        new ContainerSpec.Reach(Optional.of(socket), false, List.of(), false));
  }

  /** This JVM's classpath, which holds the SDK and so the container entrypoint. */
  static List<ClasspathEntry> classpath() {
    return ClasspathEntry.hostPaths(
        List.of(System.getProperty("java.class.path").split(File.pathSeparator)));
  }
}
