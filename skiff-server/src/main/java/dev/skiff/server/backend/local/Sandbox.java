package dev.skiff.server.backend.local;

import java.io.File;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The container sandbox: builds the <a
 * href="https://github.com/containers/bubblewrap">bubblewrap</a> ({@code bwrap}) command line that
 * runs a container's command in its own namespaces.
 *
 * <p>What a sandboxed container sees of the file system is a list of what it was given and nothing
 * else:
 *
 * <ul>
 *   <li>without a root file system: the host's system directories ({@code /usr}, {@code /lib*},
 *       {@code /bin}, {@code /sbin}) and a short list of files under {@code /etc} (name service,
 *       certificates, time zone, the JDK's configuration), all read-only;
 *   <li>with a root file system (a Debian image): that directory as {@code /}, read-only;
 *   <li>in both cases, read-only: the JDK and every classpath entry and image file, at their host
 *       paths; read-write: the container's volumes at their mount paths and the spec's shared
 *       directories at their host paths; a private, empty {@code /tmp}; its own {@code /proc} and a
 *       minimal, private {@code /dev} (with {@code /dev/shm}; plus the NVIDIA devices of the GPUs
 *       the container was allocated, and no others). Everything else, the root included, is
 *       read-only.
 * </ul>
 *
 * <p>It has its own process, IPC, host-name and network namespaces and no capabilities. Its network
 * namespace holds only its own loopback: it cannot reach the host's loopback services, other
 * containers or the host's abstract Unix sockets. Its way to the control plane is the control
 * plane's container socket, bound read-only into it; outbound traffic, where the function allows
 * it, goes through a user-mode network that the backend attaches ({@link UserNetwork}). {@code
 * --die-with-parent} ends the sandbox when the process that started it dies, and {@code
 * --new-session} detaches it from the caller's terminal. The environment is not inherited: the
 * backend gives the sandbox only the variables Skiff sets (see {@link #environment}).
 *
 * <p>Immutable and thread-safe.
 */
public final class Sandbox {
  private static final System.Logger LOG = System.getLogger(Sandbox.class.getName());

  /** How to install bubblewrap, for error messages. */
  public static final String INSTALL_HINT =
      "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install"
          + " bubblewrap) and restart the control plane";

  /** Host directories that hold the system's programs and libraries. */
  private static final List<String> SYSTEM_DIRECTORIES =
      List.of("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32");

  /** What a JVM and common tools need of the host's {@code /etc}. */
  private static final List<String> ETC_ENTRIES =
      List.of(
          "/etc/passwd",
          "/etc/group",
          "/etc/nsswitch.conf",
          "/etc/hosts",
          "/etc/host.conf",
          "/etc/resolv.conf",
          "/etc/localtime",
          "/etc/timezone",
          "/etc/ld.so.cache",
          "/etc/ld.so.conf",
          "/etc/ld.so.conf.d",
          "/etc/alternatives",
          "/etc/ssl",
          "/etc/ca-certificates",
          "/etc/pki");

  /** The variables a sandboxed container gets besides the spec's own. */
  private static final Map<String, String> BASE_ENVIRONMENT =
      Map.of("PATH", "/usr/local/bin:/usr/bin:/bin", "HOME", "/tmp", "LANG", "C.UTF-8");

  private final Path bwrap;
  private final Path devDirectory;

  private Sandbox(Path bwrap) {
    this(bwrap, Path.of("/dev"));
  }

  /** A sandbox that finds device files under {@code devDirectory} (a test's fake {@code /dev}). */
  Sandbox(Path bwrap, Path devDirectory) {
    this.bwrap = bwrap;
    this.devDirectory = devDirectory;
  }

  /**
   * What one container is given.
   *
   * @param javaHome the JDK the container runs, bound read-only at its path
   * @param readOnly files and directories bound read-only at their host paths (classpath entries,
   *     image files); those that do not exist are skipped
   * @param rootFs a directory to use as {@code /} instead of the host's system directories
   * @param volumes host directories bound read-write, by the absolute path inside the container
   * @param shared host directories bound read-write at their host paths
   * @param workdir the working directory inside the container
   * @param readOnlyAt host files and directories bound read-only at other paths, by the absolute
   *     path inside the container (an image's files added at absolute paths)
   * @param controlSocket the control plane's container socket, bound read-only at its host path:
   *     the container's only way to the control plane
   * @param resolvConf a file bound at {@code /etc/resolv.conf}: the name server of the container's
   *     user-mode network (empty: the host's file, or none in an image's root)
   * @param gpus the indexes of the NVIDIA devices the container was allocated; it sees those
   *     ({@code /dev/nvidiaN}) and, when it has any, the driver's control devices, and no others
   */
  public record Spec(
      Path javaHome,
      List<Path> readOnly,
      Optional<Path> rootFs,
      Map<String, Path> volumes,
      List<Path> shared,
      String workdir,
      Map<String, Path> readOnlyAt,
      Optional<Path> controlSocket,
      Optional<Path> resolvConf,
      List<Integer> gpus) {
    /** Copies the collections. */
    public Spec {
      readOnly = List.copyOf(readOnly);
      volumes = Map.copyOf(volumes);
      shared = List.copyOf(shared);
      readOnlyAt = Map.copyOf(readOnlyAt);
      gpus = List.copyOf(gpus);
    }

    /** A spec without a control socket, network or GPUs. */
    public Spec(
        Path javaHome,
        List<Path> readOnly,
        Optional<Path> rootFs,
        Map<String, Path> volumes,
        List<Path> shared,
        String workdir,
        Map<String, Path> readOnlyAt) {
      this(
          javaHome,
          readOnly,
          rootFs,
          volumes,
          shared,
          workdir,
          readOnlyAt,
          Optional.empty(),
          Optional.empty(),
          List.of());
    }

    /** A spec with nothing bound at other paths. */
    public Spec(
        Path javaHome,
        List<Path> readOnly,
        Optional<Path> rootFs,
        Map<String, Path> volumes,
        List<Path> shared,
        String workdir) {
      this(javaHome, readOnly, rootFs, volumes, shared, workdir, Map.of());
    }
  }

  // Guards probed: the result of the first probe in this JVM.
  private static final Object PROBE_LOCK = new Object();
  private static Optional<Sandbox> probed;

  /**
   * The sandbox of this machine, if bubblewrap is installed and works here: finds {@code bwrap} on
   * the {@code PATH} and runs {@code true} in a sandbox with the same options containers get. The
   * first call probes (a few tens of milliseconds); later calls return its answer.
   *
   * @return the sandbox, or empty with the reason logged at DEBUG
   */
  public static Optional<Sandbox> probe() {
    synchronized (PROBE_LOCK) {
      if (probed == null) {
        probed = probeNow();
      }
      return probed;
    }
  }

  private static Optional<Sandbox> probeNow() {
    Optional<Path> found = onPath("bwrap");
    if (found.isEmpty()) {
      LOG.log(Level.DEBUG, "bwrap is not on the PATH");
      return Optional.empty();
    }
    Sandbox sandbox = new Sandbox(found.get());
    Optional<Path> truePath =
        Stream.of("/usr/bin/true", "/bin/true")
            .map(Path::of)
            .filter(Files::isExecutable)
            .findFirst();
    if (truePath.isEmpty()) {
      return Optional.empty();
    }
    Spec spec =
        new Spec(
            Path.of(System.getProperty("java.home")),
            List.of(),
            Optional.empty(),
            Map.of(),
            List.of(),
            "/tmp");
    List<String> command = sandbox.wrap(spec, List.of(truePath.get().toString()));
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        LOG.log(Level.DEBUG, "bwrap did not finish a trial run in 10 s");
        return Optional.empty();
      }
      if (p.exitValue() != 0) {
        LOG.log(Level.DEBUG, "bwrap failed a trial run with exit code {0}", p.exitValue());
        return Optional.empty();
      }
      return Optional.of(sandbox);
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "bwrap could not be started: {0}", e.toString());
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  static Optional<Path> onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator, -1)) {
      if (!dir.isEmpty()) {
        Path candidate = Path.of(dir, program);
        if (Files.isExecutable(candidate)) {
          return Optional.of(candidate);
        }
      }
    }
    return Optional.empty();
  }

  /** The bubblewrap executable. */
  public Path executable() {
    return bwrap;
  }

  /**
   * The command line that runs {@code command} in a sandbox made from {@code spec}. Bind order
   * matters to bubblewrap: {@code /tmp} is mounted before the binds, so that a classpath entry or a
   * shared directory under the host's {@code /tmp} is still visible at its path.
   */
  public List<String> wrap(Spec spec, List<String> command) {
    List<String> args = new ArrayList<>();
    args.add(bwrap.toString());
    args.addAll(
        List.of(
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts", // keeps the host's name, which resolves as it does outside
            // Its own network namespace: no host loopback services, no abstract Unix sockets of the
            // host, no other container. Outbound traffic, where allowed, goes through a user-mode
            // network attached from outside (UserNetwork); the control plane is a bound socket.
            "--unshare-net",
            "--die-with-parent",
            "--new-session",
            "--cap-drop",
            "ALL"));
    if (spec.rootFs().isPresent()) {
      // Bound writable so that bubblewrap can make the mount points of the binds below in it (empty
      // directories, the same each time); --remount-ro at the end makes it read-only inside.
      args.addAll(List.of("--bind", spec.rootFs().get().toString(), "/"));
    } else {
      for (String dir : SYSTEM_DIRECTORIES) {
        Path p = Path.of(dir);
        if (Files.isSymbolicLink(p)) {
          try {
            args.addAll(List.of("--symlink", Files.readSymbolicLink(p).toString(), dir));
          } catch (IOException e) {
            // An unreadable link: leave it out.
          }
        } else if (Files.isDirectory(p)) {
          bindReadOnly(args, p, dir);
        }
      }
      for (String entry : ETC_ENTRIES) {
        if (Files.exists(Path.of(entry))) {
          bindReadOnly(args, Path.of(entry), entry);
        }
      }
      // Distribution JDKs keep their configuration under /etc/java-<N>-openjdk and link to it.
      try (Stream<Path> etc = Files.list(Path.of("/etc"))) {
        etc.filter(p -> p.getFileName().toString().startsWith("java"))
            .sorted()
            .forEach(p -> bindReadOnly(args, p, p.toString()));
      } catch (IOException | RuntimeException e) {
        // No readable /etc: nothing of it to show.
      }
    }
    args.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"));
    for (Path device : gpuDevices(spec.gpus())) {
      args.addAll(List.of("--dev-bind", device.toString(), device.toString()));
    }
    bindReadOnly(args, spec.javaHome(), spec.javaHome().toString());
    for (Path p : spec.readOnly()) {
      if (Files.exists(p)) {
        bindReadOnly(args, p, p.toString());
      }
    }
    spec.readOnlyAt().entrySet().stream()
        .sorted(Map.Entry.comparingByKey()) // a parent before what is bound inside it
        .forEach(b -> bindReadOnly(args, b.getValue(), b.getKey()));
    for (Path p : spec.shared()) {
      args.addAll(List.of("--bind", p.toString(), p.toString()));
    }
    spec.volumes().entrySet().stream()
        .sorted(Map.Entry.comparingByKey()) // a parent before the volumes mounted inside it
        .forEach(v -> args.addAll(List.of("--bind", v.getValue().toString(), v.getKey())));
    spec.controlSocket().ifPresent(s -> bindReadOnly(args, s, s.toString()));
    spec.resolvConf().ifPresent(r -> bindReadOnly(args, r, "/etc/resolv.conf"));
    // bubblewrap's own root is a writable tmpfs holding the mount points: make it read-only.
    args.addAll(List.of("--remount-ro", "/"));
    args.addAll(List.of("--chdir", spec.workdir()));
    args.add("--");
    args.addAll(command);
    return args;
  }

  /**
   * The environment of a sandboxed container: {@code PATH}, {@code HOME=/tmp}, {@code LANG} and the
   * spec's variables (which win), nothing inherited from the control plane.
   */
  public static Map<String, String> environment(Map<String, String> containerEnvironment) {
    Map<String, String> env = new LinkedHashMap<>(BASE_ENVIRONMENT);
    env.putAll(containerEnvironment);
    return env;
  }

  private static void bindReadOnly(List<String> args, Path host, String inside) {
    args.addAll(List.of("--ro-bind", host.toString(), inside));
  }

  /**
   * The device files of the GPUs {@code indexes}: each {@code /dev/nvidiaN} allocated, and with at
   * least one, the driver's shared devices ({@code nvidiactl}, {@code nvidia-uvm}, {@code
   * nvidia-uvm-tools}, {@code nvidia-modeset} and {@code nvidia-caps/*}) that CUDA needs to use
   * them. Never another GPU's {@code /dev/nvidiaM}; nothing at all for a container without GPUs.
   * Only those that exist are returned.
   */
  List<Path> gpuDevices(List<Integer> indexes) {
    if (indexes.isEmpty()) {
      return List.of();
    }
    List<Path> devices = new ArrayList<>();
    for (int index : indexes) {
      devices.add(devices().resolve("nvidia" + index));
    }
    for (String shared : List.of("nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset")) {
      devices.add(devices().resolve(shared));
    }
    try (Stream<Path> caps = Files.list(devices().resolve("nvidia-caps"))) {
      caps.sorted().forEach(devices::add);
    } catch (IOException | RuntimeException e) {
      // No capability devices on this machine.
    }
    return devices.stream().filter(Files::exists).toList();
  }

  private Path devices() {
    return devDirectory;
  }

  @Override
  public String toString() {
    return "Sandbox[" + bwrap + "]";
  }
}
