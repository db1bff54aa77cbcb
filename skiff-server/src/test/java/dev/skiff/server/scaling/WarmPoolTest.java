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
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

class WarmPoolTest {
  private static final WarmPool.Shape ONE =
      WarmPool.Shape.of(List.of(new ClasspathEntry.Jar("a".repeat(64))));
  private static final WarmPool.Shape TWO =
      WarmPool.Shape.of(List.of(new ClasspathEntry.Jar("b".repeat(64))));
  private static final WarmPool.Shape THREE =
      WarmPool.Shape.of(List.of(new ClasspathEntry.Jar("c".repeat(64))));

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
  void aClasspathOnAnImageHasWarmContainersOfItsOwnOnThatImage() {
    WarmPool pool = pool(1, 4, Runnable::run);
    WarmPool.Shape onImage = new WarmPool.Shape(ONE.classpath(), Optional.of("img-1"));
    pool.acquire(ONE);
    pool.acquire(onImage);
    assertThat(backend.started).hasSize(2);
    assertThat(backend.started.get(0).spec.image()).isEmpty();
    assertThat(backend.started.get(1).spec.image()).contains("img-1");
    assertThat(backend.started.get(1).spec.classpath()).isEqualTo(ONE.classpath());

    Optional<WarmPool.Warm> taken = pool.claim(onImage, w -> null);
    assertThat(taken).map(w -> w.id).contains(backend.started.get(1).id());
    assertThat(pool.claim(onImage, w -> null)).isEmpty(); // the plain one is not for it
    assertThat(pool.waiting(ONE)).containsExactly(backend.started.get(0).id());

    pool.release(onImage);
    assertThat(backend.started.get(0).stopAsked).isFalse();
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

  @Test
  void aWarmContainerThatDiesIsReplacedButNotInALoop() {
    WarmPool pool = pool(1, 4, Runnable::run);
    pool.acquire(ONE);
    assertThat(backend.started).hasSize(1);
    backend.last().exit(1); // e.g. its sandbox could not be set up
    assertThat(backend.started).as("a replacement").hasSize(2);
    assertThat(pool.waiting(ONE)).containsExactly(backend.last().id());
    for (int i = 1; i < WarmPool.MAX_FAILURES_IN_A_ROW; i++) {
      backend.last().exit(1);
    }
    assertThat(backend.started).hasSize(1 + WarmPool.MAX_FAILURES_IN_A_ROW);
    backend.last().exit(1); // one failure too many in a row: no more
    assertThat(backend.started).hasSize(1 + WarmPool.MAX_FAILURES_IN_A_ROW);
    assertThat(pool.waiting(ONE)).isEmpty();

    pool.fill(ONE); // as when a claimed container of the classpath connects
    assertThat(backend.started).hasSize(2 + WarmPool.MAX_FAILURES_IN_A_ROW);
  }

  @Test
  void warmContainersStoppedByAReleaseAreNotReplaced() {
    WarmPool pool = pool(1, 4, Runnable::run);
    pool.acquire(ONE);
    pool.release(ONE);
    assertThat(backend.last().stopAsked).isTrue();
    assertThat(backend.started).hasSize(1);
  }
}
