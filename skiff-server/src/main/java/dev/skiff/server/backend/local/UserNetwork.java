package dev.skiff.server.backend.local;

import dev.skiff.server.backend.ContainerStartException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * Outbound network for sandboxed containers, through <a
 * href="https://github.com/rootless-containers/slirp4netns">slirp4netns</a>: a user-mode TCP/IP
 * stack attached to the container's own network namespace from outside.
 *
 * <p>Every sandboxed container has its own network namespace ({@link Sandbox}); without this, it
 * holds only its own loopback. With it, the namespace gets a {@code tap0} interface ({@code
 * 10.0.2.100/24}, gateway {@code 10.0.2.2}, name server {@code 10.0.2.3}) whose traffic slirp4netns
 * relays through ordinary sockets of the control plane's user. It runs with {@code
 * --disable-host-loopback}, so the gateway does not lead to the host's {@code 127.0.0.0/8}: the
 * control plane's ports, databases and other apps' web ports on the host's loopback stay out of
 * reach. What the host could reach on other addresses, the container can too.
 *
 * <p>slirp4netns is started under {@code setpriv --pdeathsig KILL}, so it ends with the control
 * plane even when the control plane is killed, and the backend ends it when its container exits.
 *
 * <p>Immutable and thread-safe.
 */
final class UserNetwork {
  private static final System.Logger LOG = System.getLogger(UserNetwork.class.getName());

  /** The interface the container sees; its entrypoint waits for it before running user code. */
  static final String INTERFACE = "tap0";

  /**
   * The environment variable that tells the container entrypoint to wait for {@link #INTERFACE}
   * before it initialises the user's classes, so that user code never runs before its network.
   */
  static final String WAIT_ENV = "SKIFF_NETWORK_INTERFACE";

  /** How to install slirp4netns, for messages. */
  static final String INSTALL_HINT =
      "install slirp4netns (Debian/Ubuntu: apt-get install slirp4netns) and restart the control"
          + " plane";

  private static final Duration FIND_NAMESPACE = Duration.ofSeconds(5);

  private final Path slirp4netns;
  private final Optional<Path> setpriv;
  private final Path resolvConf;

  private UserNetwork(Path slirp4netns, Optional<Path> setpriv, Path resolvConf) {
    this.slirp4netns = slirp4netns;
    this.setpriv = setpriv;
    this.resolvConf = resolvConf;
  }

  /**
   * The user-mode network of this machine, if slirp4netns is installed: also writes the {@code
   * resolv.conf} that names its DNS forwarder into {@code directory}.
   *
   * @return empty, with the reason logged, when slirp4netns is missing or the file cannot be
   *     written
   */
  static Optional<UserNetwork> find(Path directory) {
    Optional<Path> slirp = Sandbox.onPath("slirp4netns");
    if (slirp.isEmpty()) {
      LOG.log(Level.DEBUG, "slirp4netns is not on the PATH");
      return Optional.empty();
    }
    try {
      Files.createDirectories(directory);
      Path resolv = directory.resolve("resolv.conf");
      Path temp = Files.createTempFile(directory, "resolv", ".tmp");
      Files.writeString(temp, "nameserver 10.0.2.3\n", StandardCharsets.US_ASCII);
      Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
      Files.move(temp, resolv, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return Optional.of(new UserNetwork(slirp.get(), Sandbox.onPath("setpriv"), resolv));
    } catch (IOException e) {
      LOG.log(Level.WARNING, "no user-mode network for containers: {0}", e.toString());
      return Optional.empty();
    }
  }

  /** The {@code resolv.conf} that containers with this network see. */
  Path resolvConf() {
    return resolvConf;
  }

  /**
   * Attaches a user-mode network to the network namespace of the sandbox that {@code bwrap} (a
   * process just started) creates: waits for bubblewrap's child, which lives in that namespace, and
   * starts slirp4netns on it.
   *
   * @return the slirp4netns process, which the caller ends when the container exits
   * @throws ContainerStartException if the namespace does not appear or slirp4netns cannot start
   */
  Process attach(String containerId, Process bwrap) {
    long deadline = System.nanoTime() + FIND_NAMESPACE.toNanos();
    OptionalLong child = OptionalLong.empty();
    while (child.isEmpty() && bwrap.isAlive() && System.nanoTime() < deadline) {
      child = bwrap.children().mapToLong(ProcessHandle::pid).findFirst();
      if (child.isEmpty()) {
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    if (child.isEmpty()) {
      throw new ContainerStartException(
          "container "
              + containerId
              + ": its sandbox ended or did not start within "
              + FIND_NAMESPACE.toSeconds()
              + " s, so no network could be attached to it");
    }
    List<String> command = new ArrayList<>();
    setpriv.ifPresent(s -> command.addAll(List.of(s.toString(), "--pdeathsig", "KILL", "--")));
    command.addAll(
        List.of(
            slirp4netns.toString(),
            "--configure",
            "--mtu=65520",
            "--disable-host-loopback",
            "--enable-sandbox",
            "--enable-seccomp",
            Long.toString(child.getAsLong()),
            INTERFACE));
    try {
      return ProcessLauncher.start(
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD));
    } catch (IOException e) {
      throw new ContainerStartException(
          "container " + containerId + ": could not start slirp4netns for its network: " + e, e);
    }
  }

  /** Ends a slirp4netns process this class started (and anything it started). */
  static void detach(Process slirp) {
    try (Stream<ProcessHandle> inside = slirp.descendants()) {
      inside.forEach(ProcessHandle::destroyForcibly);
    }
    slirp.destroyForcibly();
  }

  @Override
  public String toString() {
    return "UserNetwork[" + slirp4netns + "]";
  }
}
