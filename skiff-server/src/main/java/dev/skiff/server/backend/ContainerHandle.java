package dev.skiff.server.backend;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/** A container that a backend started. Thread-safe. */
public interface ContainerHandle {
  /**
   * How the {@linkplain #stderrTail() stderr tail} of a container that its memory limit ended from
   * outside starts (followed by {@code ": "} and why): the kernel kills such a process, so it
   * prints nothing itself, and its backend says so in its place.
   */
  String KILLED_FOR_MEMORY = "out of memory";

  /** The container's short id, as in its {@link ContainerSpec}. */
  String id();

  /** The operating-system process id, where the container is a local process. */
  OptionalLong pid();

  /**
   * Completes with the exit code once the container has ended and its output has been read to the
   * end (or a short while after it ended, if something else holds its output open). An exit code of
   * {@code 128 + N} means that signal {@code N} ended the process. Never completes exceptionally.
   */
  CompletableFuture<Integer> onExit();

  /** Whether the container still runs. */
  boolean isAlive();

  /** Asks the container to end (SIGTERM for a process). Returns at once; idempotent. */
  void stop();

  /** Ends the container at once (SIGKILL for a process). Returns at once; idempotent. */
  void kill();

  /**
   * Why the container, created, still waits to run, e.g. "0/3 nodes are available: 3 Insufficient
   * nvidia.com/gpu" for a pod its cluster cannot schedule yet; empty when it does not wait (or the
   * backend places containers itself and says so through its {@link Placement}). The control plane
   * shows it as its function's waiting reason. The default: never waits.
   */
  default Optional<String> waitingReason() {
    return Optional.empty();
  }

  /**
   * What the container has used so far, where its backend can tell (a local process tree: from
   * {@code /proc}); empty otherwise. It reads the system, so callers do not hold locks around it.
   */
  default Optional<Usage> usage() {
    return Optional.empty();
  }

  /**
   * What a container used.
   *
   * @param cpuMillis CPU time of all its processes, user and system, in milliseconds
   * @param memoryBytes their resident memory now
   */
  record Usage(long cpuMillis, long memoryBytes) {}

  /** The last lines (at most 50) that the container wrote to stderr, oldest first. */
  List<String> stderrTail();
}
