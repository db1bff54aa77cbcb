package dev.skiff.server.backend.local;

import dev.skiff.server.backend.ContainerHandle;
import dev.skiff.server.backend.OutputListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/**
 * One child JVM of a {@link LocalProcessBackend}: its process, the last lines of its stderr, and
 * its exit, which the backend completes once the output has been read. Thread-safe.
 */
final class LocalContainer implements ContainerHandle {
  private static final System.Logger LOG = System.getLogger(LocalContainer.class.getName());

  /** How many stderr lines are kept for crash reports. */
  static final int STDERR_TAIL_LINES = 50;

  /** What {@code -XX:+ExitOnOutOfMemoryError} prints, to stdout, before the JVM exits with 3. */
  static final String JVM_OUT_OF_MEMORY = "Terminating due to java.lang.OutOfMemoryError";

  final String id;
  private final Process process;
  private final boolean sandboxed;
  final CompletableFuture<Integer> exit = new CompletableFuture<>();

  // Guards stderrTail.
  private final Object tailLock = new Object();
  private final ArrayDeque<String> stderrTail = new ArrayDeque<>();

  LocalContainer(String id, Process process, boolean sandboxed) {
    this.id = id;
    this.process = process;
    this.sandboxed = sandboxed;
  }

  @Override
  public Optional<Usage> usage() {
    return process.isAlive() ? ProcessTreeUsage.of(process.toHandle()) : Optional.empty();
  }

  /** The process, for the backend that watches it. */
  Process process() {
    return process;
  }

  void rememberStderr(String line) {
    synchronized (tailLock) {
      if (stderrTail.size() == STDERR_TAIL_LINES) {
        stderrTail.removeFirst();
      }
      stderrTail.addLast(line);
    }
  }

  /**
   * Reads {@code stream} line by line on a virtual thread and hands each line to {@code output}, a
   * line longer than {@link LineSplitter#MAX_LINE_BYTES} in pieces; completes when the stream ends.
   */
  CompletableFuture<Void> pump(InputStream stream, boolean stderr, OutputListener output) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread.ofVirtual()
        .name("skiff-" + id + (stderr ? "-stderr" : "-stdout"))
        .start(
            () -> {
              try (stream) {
                new LineSplitter(LineSplitter.MAX_LINE_BYTES)
                    .split(
                        stream,
                        line -> {
                          if (stderr || line.startsWith(JVM_OUT_OF_MEMORY)) {
                            rememberStderr(line);
                          }
                          try {
                            output.line(stderr, line);
                          } catch (RuntimeException e) {
                            LOG.log(Level.WARNING, "output listener failed", e);
                          }
                        });
              } catch (IOException | UncheckedIOException e) {
                // The process ended and its pipe was closed under us: nothing more to read.
              } finally {
                done.complete(null);
              }
            });
    return done;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public OptionalLong pid() {
    return OptionalLong.of(process.pid());
  }

  @Override
  public CompletableFuture<Integer> onExit() {
    return exit.copy();
  }

  @Override
  public boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void stop() {
    if (sandboxed) {
      // bwrap does not pass SIGTERM on, and the sandbox's init ignores it: signal the JVM, whose
      // exit ends the sandbox. Before the JVM exists, ending bwrap ends the sandbox.
      List<ProcessHandle> inside = process.descendants().toList();
      if (!inside.isEmpty()) {
        inside.forEach(ProcessHandle::destroy);
        return;
      }
    }
    process.destroy();
  }

  @Override
  public void kill() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  @Override
  public List<String> stderrTail() {
    synchronized (tailLock) {
      return List.copyOf(stderrTail);
    }
  }

  @Override
  public String toString() {
    return "container " + id + " (pid " + process.pid() + ")";
  }
}
