package dev.skiff.server.backend.local;

import dev.skiff.server.backend.ContainerImage;
import dev.skiff.server.backend.ContainerSpec;
import dev.skiff.server.backend.Resources;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The java command line of a local container: Skiff's JVM flags for a fast start and a small idle
 * footprint, the class-data archive's flags, the operator's options, the flags that enforce the
 * container's {@link Resources} limits, and the entrypoint on the app's classpath.
 *
 * @param javaExecutable the java of containers without an image of their own
 * @param entrypoint the main class every container runs
 * @param jvmOptions added after Skiff's own flags, so that they can override them
 */
record JvmCommand(Path javaExecutable, String entrypoint, List<String> jvmOptions) {
  /** The system property that marks a container JVM; its value is the container id. */
  static final String CONTAINER_PROPERTY = "skiff.container";

  /** The share of a memory limit given to the heap; the rest is for metaspace, stacks, code. */
  static final double HEAP_SHARE_OF_MEMORY_LIMIT = 0.75;

  JvmCommand {
    jvmOptions = List.copyOf(jvmOptions);
  }

  /**
   * The command line for a container on {@code image} (resolved from the spec's) with {@code
   * classpath} (the spec's, resolved to paths on this machine, then the image's jars), given the
   * flags of its class-data archive plan.
   */
  List<String> of(
      ContainerSpec spec,
      Optional<ContainerImage> image,
      List<String> classpath,
      List<String> archiveFlags) {
    List<String> command = new ArrayList<>();
    int feature = image.map(ContainerImage::javaFeature).orElse(Runtime.version().feature());
    command.add(
        image
            .map(i -> i.javaHome().resolve("bin").resolve("java").toString())
            .orElse(javaExecutable.toString()));
    // First, so that tools (ps, ProcessHandle) see it even when a long classpath makes the
    // system truncate the command line it reports.
    command.add("-D" + CONTAINER_PROPERTY + "=" + spec.containerId());
    command.add("-XX:+UseSerialGC");
    // A small idle footprint: start with a small heap and give freed heap back after collections
    // (idle container RSS 138 -> 88 MiB on the memory benchmark), and one Netty buffer arena,
    // since a container has a single connection.
    command.add("-Xms8m");
    command.add("-XX:MinHeapFreeRatio=10");
    command.add("-XX:MaxHeapFreeRatio=40");
    command.add("-Dio.grpc.netty.shaded.io.netty.allocator.numDirectArenas=1");
    command.add("-Dio.grpc.netty.shaded.io.netty.allocator.numHeapArenas=1");
    // Unpooled Netty buffers: a container's one connection carries small messages, and a pool's
    // chunks stay resident while it idles (idle RSS 88 -> 84 MiB on the memory benchmark).
    command.add("-Dio.grpc.netty.shaded.io.netty.allocator.type=unpooled");
    // No probing for Netty's native transports: a container reaches its control plane over the
    // JDK's own sockets, and loading epoll (a library unpacked to /tmp first) cost a fresh
    // container
    // 20-30 ms. Function code that uses grpc-netty-shaded itself gets its NIO transport.
    command.add("-Dio.grpc.netty.shaded.io.netty.transport.noNative=true");
    // After an OutOfMemoryError a JVM is in no state to serve inputs: end it, and say why.
    command.add("-XX:+ExitOnOutOfMemoryError");
    command.add("-Xshare:auto");
    if (feature >= 22) {
      // gRPC's Netty loads a native library; the container runs Skiff's code, not the user's here.
      command.add("--enable-native-access=ALL-UNNAMED");
      // Give the C heap that startup and the JIT freed back to the system every second (with
      // unpooled buffers, idle RSS 84 -> 78 MiB on the memory benchmark).
      command.add("-XX:TrimNativeHeapInterval=1000");
    }
    if (feature >= 23 && feature <= 25) {
      // protobuf uses sun.misc.Unsafe; the option exists in exactly these releases so far.
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    command.addAll(archiveFlags);
    command.addAll(jvmOptions);
    command.addAll(resourceLimitFlags(spec.resources()));
    command.add("-cp");
    command.add(String.join(File.pathSeparator, classpath));
    command.add(entrypoint);
    return command;
  }

  /**
   * JVM flags that enforce a container's limits: the memory limit sizes the heap ({@code -Xmx}, 3/4
   * of the limit, at least 16 MiB), so that allocating past it ends the container with an
   * out-of-memory error (see {@code -XX:+ExitOnOutOfMemoryError}); the CPU limit (cores, fractional
   * allowed) sets the processors the JVM sees ({@code -XX:ActiveProcessorCount}, rounded up). Where
   * control groups are available, {@link HardLimits} makes both hard limits as well.
   */
  static List<String> resourceLimitFlags(Resources resources) {
    List<String> flags = new ArrayList<>();
    if (resources.memoryLimitMib() > 0) {
      long heapMib = Math.max(16, (long) (resources.memoryLimitMib() * HEAP_SHARE_OF_MEMORY_LIMIT));
      flags.add("-Xmx" + heapMib + "m");
    }
    if (resources.milliCpuLimit() > 0) {
      int processors = (int) Math.max(1, Math.ceil(resources.cpuLimitCores()));
      flags.add("-XX:ActiveProcessorCount=" + processors);
    }
    return flags;
  }
}
