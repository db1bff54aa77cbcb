package dev.skiff.server.store;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/** {@link DeploymentStore} in memory. Thread-safe. */
final class InMemoryDeployments implements DeploymentStore {
  // Guards every field below.
  private final Object lock = new Object();
  private final TreeMap<String, StoredApp> apps = new TreeMap<>();
  // Autoscaler overrides by app name, then function.
  private final Map<String, Map<String, Setting>> overrides = new HashMap<>();
  private boolean closed;

  private static final class Setting {
    final long version;
    final byte[] bytes;

    Setting(long version, byte[] bytes) {
      this.version = version;
      this.bytes = bytes.clone();
    }
  }

  @Override
  public CompletableFuture<Void> save(StoredApp app) {
    synchronized (lock) {
      if (!closed) {
        apps.put(app.name(), app);
        Map<String, Setting> of = overrides.get(app.name());
        if (of != null) {
          of.values().removeIf(o -> o.version != app.version());
        }
      }
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> delete(String name) {
    synchronized (lock) {
      apps.remove(name);
      overrides.remove(name);
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> saveAutoscaler(
      String appName, long version, String function, byte[] settings) {
    synchronized (lock) {
      if (!closed) {
        overrides
            .computeIfAbsent(appName, n -> new HashMap<>())
            .put(function, new Setting(version, settings));
      }
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public Map<String, byte[]> autoscalers(String appName, long version) {
    synchronized (lock) {
      Map<String, byte[]> out = new TreeMap<>();
      overrides
          .getOrDefault(appName, Map.of())
          .forEach(
              (function, o) -> {
                if (o.version == version) {
                  out.put(function, o.bytes.clone());
                }
              });
      return out;
    }
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
      overrides.clear();
    }
  }
}
