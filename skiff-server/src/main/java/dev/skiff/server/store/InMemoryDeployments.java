package dev.skiff.server.store;

import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/** {@link DeploymentStore} in memory. Thread-safe. */
final class InMemoryDeployments implements DeploymentStore {
  // Guards every field below.
  private final Object lock = new Object();
  private final TreeMap<String, StoredApp> apps = new TreeMap<>();
  private boolean closed;

  @Override
  public CompletableFuture<Void> save(StoredApp app) {
    synchronized (lock) {
      if (!closed) {
        apps.put(app.name(), app);
      }
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> delete(String name) {
    synchronized (lock) {
      apps.remove(name);
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public List<StoredApp> all() {
    synchronized (lock) {
      return List.copyOf(apps.values());
    }
  }

  void close() {
    synchronized (lock) {
      closed = true;
      apps.clear();
    }
  }
}
