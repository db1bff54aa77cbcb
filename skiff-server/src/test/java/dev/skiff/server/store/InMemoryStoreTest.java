package dev.skiff.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The store contract in memory, and what closing it means. */
class InMemoryStoreTest extends StoreContract {
  @Override
  protected Store open() {
    return new InMemoryStore();
  }

  @Override
  protected boolean commits() {
    return false;
  }

  @Test
  void closingForgetsEverythingAndDropsLaterWritesWithoutFailingThem() {
    Instant at = Instant.parse("2030-01-01T00:00:00Z");
    InMemoryStore store = new InMemoryStore();
    store.deployments().save(new StoredApp("web", 1, at, new byte[] {1})).join();
    store.logs().append("web", "c-1", new byte[] {1}).join();

    store.close();

    assertThat(store.deployments().all()).isEmpty();
    assertThat(store.logs().newest("web", 10)).isEmpty();
    assertThat(store.deployments().save(new StoredApp("api", 1, at, new byte[] {1})))
        .isCompleted()
        .isNotCompletedExceptionally();
    assertThat(store.deployments().all()).isEmpty();
  }

  @Test
  void theStoreOfCallsThatCannotOutliveTheirRegistryKeepsNothing() {
    Instant at = Instant.parse("2030-01-01T00:00:00Z");
    CallStore none = CallStore.none();

    assertThat(none.add(call("fc-1", at))).isCompleted().isNotCompletedExceptionally();
    assertThat(none.finish("fc-1", new byte[] {1}, at)).isCompleted().isNotCompletedExceptionally();

    assertThat(none.find("fc-1")).isEmpty();
    assertThat(none.unfinished()).isEmpty();
    assertThat(none.sweep(at.plusSeconds(1))).isZero();
  }
}
