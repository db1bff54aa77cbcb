package dev.skiff.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A process the harness started (an echo server JVM, a hello-world JVM). {@link #close()} asks it
 * to stop, kills it (and anything it started) if it has not exited within a short grace period, and
 * waits a bounded time for it to go. Idempotent and thread-safe.
 */
final class ChildProcess implements AutoCloseable {
  private static final long GRACE_MS = 2_000;
  private static final long KILL_WAIT_MS = 5_000;

  private final String name;
  private final Process process;

  private ChildProcess(String name, Process process) {
    this.name = name;
    this.process = process;
  }

  /** The {@code java} executable of this JVM, so that every child runs on the same JDK. */
  static Path javaExecutable() {
    return Path.of(System.getProperty("java.home"), "bin", "java");
  }

  /**
   * Starts {@code command} with stderr shown on this console, and registers it with {@code scope}.
   */
  static ChildProcess start(String name, List<String> command, Cleanup scope) {
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new IllegalStateException("could not start " + name + ": " + command + ": " + e, e);
    }
    return scope.register(new ChildProcess(name, process));
  }

  /** Wraps a process started elsewhere (timed launches), registering it with {@code scope}. */
  static ChildProcess of(String name, Process process, Cleanup scope) {
    return scope.register(new ChildProcess(name, process));
  }

  Process process() {
    return process;
  }

  long pid() {
    return process.pid();
  }

  /** Waits at most {@code millis} for the process to exit; true if it did. */
  boolean awaitExit(long millis) throws InterruptedException {
    return process.waitFor(millis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.toHandle().descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    boolean interrupted = false;
    try {
      if (!process.waitFor(GRACE_MS, TimeUnit.MILLISECONDS)) {
        process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        if (!process.waitFor(KILL_WAIT_MS, TimeUnit.MILLISECONDS)) {
          System.err.println("bench: " + this + " did not exit after kill -9");
        }
      }
    } catch (InterruptedException e) {
      interrupted = true;
      process.destroyForcibly();
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ")";
  }
}
