package dev.skiff.server.backend.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A process that must die with this JVM (its parent-death signal set, as {@code bwrap
 * --die-with-parent} and {@code setpriv --pdeathsig} do) outlives the thread that asked for it: the
 * kernel sends that signal when the forking thread exits, so the launcher forks from a thread that
 * never does.
 */
class ProcessLauncherTest {
  @Test
  void aProcessOutlivesTheThreadThatStartedIt() throws Exception {
    AtomicReference<Process> started = new AtomicReference<>();
    Thread starter =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    started.set(
                        ProcessLauncher.start(
                            new ProcessBuilder(
                                "setpriv", "--pdeathsig", "KILL", "--", "sleep", "60")));
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                });
    starter.join();
    Process p = started.get();
    try {
      assertThat(starter.isAlive()).isFalse();
      // Were it the starter's child, the kernel would have killed it as the starter exited.
      await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(p::isAlive);
    } finally {
      p.destroyForcibly();
      p.waitFor();
    }
  }
}
