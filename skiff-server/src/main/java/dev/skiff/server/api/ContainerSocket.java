package dev.skiff.server.api;

import dev.skiff.server.auth.PrincipalFilter;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

/**
 * The Unix socket on which a control plane serves its containers: a file in a new directory that
 * only this user may enter ({@code rwx------}), which the backend binds read-only into each
 * container's sandbox. A sandboxed container has its own network namespace, so this socket is its
 * only way to the control plane; the listener takes container tokens only ({@link
 * PrincipalFilter}).
 *
 * <p>Uses the JDK's own Unix sockets through Netty's NIO transport (no native library). {@link
 * #close()} removes the socket and its directory. Thread-safe.
 */
public final class ContainerSocket implements AutoCloseable {
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
    this.boss = new NioEventLoopGroup(1, new DefaultThreadFactory("skiff-cs-boss", true));
    this.workers = new NioEventLoopGroup(0, new DefaultThreadFactory("skiff-cs", true));
  }

  /**
   * A new socket directory under the system's temporary directory (or {@code /tmp} when that path
   * would be too long for a socket).
   *
   * @throws java.io.UncheckedIOException if the directory cannot be made
   */
  public static ContainerSocket open() {
    Path base = Path.of(System.getProperty("java.io.tmpdir"));
    if (base.toAbsolutePath().toString().length() > MAX_PATH - 40) {
      base = Path.of("/tmp");
    }
    try {
      Path dir =
          Files.createTempDirectory(
              base,
              "skiff-",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      return new ContainerSocket(dir.toAbsolutePath());
    } catch (IOException e) {
      throw new UncheckedIOException("could not make the containers' socket directory", e);
    }
  }

  /** The socket file. */
  public Path path() {
    return path;
  }

  /** A server builder listening on the socket. */
  public NettyServerBuilder serverBuilder() {
    return NettyServerBuilder.forAddress(UnixDomainSocketAddress.of(path))
        .channelType(NioServerDomainSocketChannel.class)
        // gRPC sets SO_KEEPALIVE, which a Unix socket has no use for (Netty warns about it).
        .withChildOption(ChannelOption.SO_KEEPALIVE, null)
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
