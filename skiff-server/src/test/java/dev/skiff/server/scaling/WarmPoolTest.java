package dev.skiff.server.scaling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.server.auth.Tokens;
import dev.skiff.server.backend.ClasspathEntry;
import dev.skiff.server.backend.Resources;
import dev.skiff.server.runtime.ContainerEndpoint;
import dev.skiff.server.testing.FakeBackend;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

class WarmPoolTest {
  private static final List<ClasspathEntry> ONE = List.of(new ClasspathEntry.Jar("a".repeat(64)));
  private static final List<ClasspathEntry> TWO = List.of(new ClasspathEntry.Jar("b".repeat(64)));
  private static final List<ClasspathEntry> THREE = List.of(new ClasspathEntry.Jar("c".repeat(64)));

  private final FakeBackend backend = new FakeBackend();

  private WarmPool pool(int size, int max, Executor launcher) {
    return new WarmPool(
        size,
        max,
        backend,
        Tokens.random(),
        launcher,
        () -> new ContainerEndpoint(Path.of("/control.sock")));
  }

  @Test
  void theLastReleaseOfAClasspathStopsItsWarmContainersAndNoneIsStartedForItAgain() {
    WarmPool pool = pool(1, 4, Runnable::run);
    pool.acquire(ONE);
    pool.acquire(ONE); // a second app on the same classpath
    assertThat(backend.started).hasSize(1);
    String id = backend.last().id();
    assertThat(pool.waiting(ONE)).containsExactly(id);

    pool.release(ONE);
    assertThat(pool.waiting(ONE)).containsExactly(id);
    assertThat(backend.last().stopAsked).isFalse();

    pool.release(ONE);
    assertThat(pool.waiting(ONE)).isEmpty();
    assertThat(backend.last().stopAsked).isTrue();
    pool.fill(ONE); // a late refill, as after a claimed container connects
    assertThat(backend.started).hasSize(1);
  }

  @Test
  void warmContainersInAllStayWithinTheCapAndAReleaseMakesRoom() {
    WarmPool pool = pool(1, 2, Runnable::run);
    pool.acquire(ONE);
    pool.acquire(TWO);
    pool.acquire(THREE);
    assertThat(backend.started).hasSize(2);
    assertThat(pool.waiting(THREE)).isEmpty();

    pool.release(ONE);
    assertThat(backend.started).hasSize(3);
    assertThat(pool.waiting(THREE)).containsExactly(backend.last().id());
    assertThat(pool.waiting(ONE)).isEmpty();
  }

  @Test
  void aWarmContainerReleasedBeforeItsLaunchIsNeverStarted() {
    Queue<Runnable> launches = new ArrayDeque<>();
    WarmPool pool = pool(1, 4, launches::add);
    pool.acquire(ONE);
    pool.release(ONE);
    launches.forEach(Runnable::run);
    assertThat(backend.started).isEmpty();
  }

  @Test
  void aWarmContainerHasTheResourcesOfAFunctionThatSetsNone() {
    WarmPool pool = pool(1, 4, Runnable::run);
    pool.acquire(ONE);
    assertThat(backend.last().spec.resources()).isEqualTo(Resources.NONE);
  }
}
