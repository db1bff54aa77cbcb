package dev.skiff.server;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The Unix socket on which a control plane serves its containers: a file in a new directory that
 * only this user may enter ({@code rwx------}), which the backend binds read-only into each
 * container's sandbox. A sandboxed container has its own network namespace, so this socket is its
 * only way to the control plane; the listener takes container tokens only ({@link
 * PrincipalFilter}).
 *
 * <p>Needs Netty's native epoll transport (Linux); elsewhere {@link #open()} is empty and
 * containers dial the client port on loopback, as plain processes do there anyway. {@link
 * #close()} removes the socket and its directory. Thread-safe.
 */
final class ContainerSocket implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ContainerSocket.class.getName());

  /** The longest socket path the kernel takes ({@code sun_path} is 108 bytes with its NUL). */
  private static final int MAX_PATH = 107;

  private final Path directory;
  private final Path path;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;

  private ContainerSocket(Path directory) {
    this.directory = directory;
    this.path = directory.resolve("control.sock");
    this.boss = new EpollEventLoopGroup(1, new DefaultThreadFactory("skiff-cs-boss", true));
    this.workers = new EpollEventLoopGroup(0, new DefaultThreadFactory("skiff-cs", true));
  }

  /**
   * A new socket directory under the system's temporary directory (or {@code /tmp} when that path
   * would be too long for a socket), or empty where Unix sockets are unavailable to gRPC.
   *
   * @throws java.io.UncheckedIOException if the directory cannot be made
   */
  static Optional<ContainerSocket> open() {
    if (!Epoll.isAvailable()) {
      LOG.log(
          Level.DEBUG,
          "no Unix socket for containers (Netty epoll unavailable: {0}); they dial the client port",
          String.valueOf(Epoll.unavailabilityCause()));
      return Optional.empty();
    }
    Path base = Path.of(System.getProperty("java.io.tmpdir"));
    if (base.toAbsolutePath().toString().length() > MAX_PATH - 40) {
      base = Path.of("/tmp");
    }
    try {
      Path dir =
          Files.createTempDirectory(
              base, "skiff-", PosixFilePermissions.asFileAttribute(
                  PosixFilePermissions.fromString("rwx------")));
      return Optional.of(new ContainerSocket(dir.toAbsolutePath()));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("could not make the containers' socket directory", e);
    }
  }

  /** The socket file. */
  Path path() {
    return path;
  }

  /** A server builder listening on the socket. */
  NettyServerBuilder serverBuilder() {
    return NettyServerBuilder.forAddress(new DomainSocketAddress(path.toString()))
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(boss)
        .workerEventLoopGroup(workers);
  }

  /** Stops the event loops and removes the socket and its directory. */
  @Override
  public void close() {
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    try {
      Files.deleteIfExists(path);
      Files.deleteIfExists(directory);
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "could not remove {0}: {1}", directory, e.toString());
    }
  }
}
