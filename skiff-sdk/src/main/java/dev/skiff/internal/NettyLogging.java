package dev.skiff.internal;

import io.grpc.netty.shaded.io.netty.util.internal.logging.InternalLoggerFactory;
import io.grpc.netty.shaded.io.netty.util.internal.logging.JdkLoggerFactory;

/**
 * Points gRPC's shaded Netty at {@code java.util.logging}. Left to itself, Netty logs through SLF4J
 * whenever slf4j-api is on the classpath (the control plane brings it, for SQLite and Maven
 * Resolver), and SLF4J then prints a notice about having no provider in every program and container
 * that uses Skiff. Netty's own lines are debug chatter either way. Thread-safe.
 */
public final class NettyLogging {
  private static volatile boolean done;

  private NettyLogging() {}

  /** Makes Netty log through {@code java.util.logging}; call before the first channel or server. */
  public static void useJdkLogging() {
    if (!done) {
      InternalLoggerFactory.setDefaultFactory(JdkLoggerFactory.INSTANCE);
      done = true;
    }
  }
}
