package dev.skiff.server.backend.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Starts the child processes that must die with this JVM (containers under {@code bwrap
 * --die-with-parent}, slirp4netns under {@code setpriv --pdeathsig}, class-data dumps in the
 * sandbox) from one platform thread that lives as long as the JVM.
 *
 * <p>The kernel's parent-death signal ({@code PR_SET_PDEATHSIG}) fires when the <em>thread</em>
 * that forked the process exits, not the process. Started from a virtual thread, a child would be
 * killed whenever the carrier thread it ran on retired (after half a minute idle); started from a
 * thread that never ends, it is killed exactly when this JVM dies, which is what those options are
 * for. Starting a process takes about a millisecond, so one thread serves every container start.
 * Thread-safe.
 */
public final class ProcessLauncher {
  private static final ExecutorService THREAD =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "skiff-process-launcher");
            t.setDaemon(true);
            return t;
          });

  private ProcessLauncher() {}

  /**
   * Starts {@code builder}'s process from the launcher thread and returns it.
   *
   * @throws IOException as {@link ProcessBuilder#start()} does
   */
  public static Process start(ProcessBuilder builder) throws IOException {
    Future<Process> started = THREAD.submit(builder::start);
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return started.get();
        } catch (InterruptedException e) {
          interrupted = true; // the process may be starting: wait for it, so that it is not lost
        }
      }
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new UncheckedIOException(new IOException(e.getCause()));
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
