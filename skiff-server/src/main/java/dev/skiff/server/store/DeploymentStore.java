package dev.skiff.server.store;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** Deployed apps, by name. Thread-safe. */
public interface DeploymentStore {
  /**
   * Stores a deployment, replacing the one of the same name, and forgets the autoscaler overrides
   * of the name's other versions. Completes once durable.
   */
  CompletableFuture<Void> save(StoredApp app);

  /**
   * Forgets the deployment of this name, if there is one, and its autoscaler overrides. Completes
   * once durable.
   */
  CompletableFuture<Void> delete(String name);

  /**
   * Stores the autoscaler settings that {@code UpdateAutoscaler} gave a function of version {@code
   * version} of deployed app {@code appName} (an {@code AutoscalerSettings} message), replacing the
   * function's earlier override. Completes once durable.
   */
  CompletableFuture<Void> saveAutoscaler(
      String appName, long version, String function, byte[] settings);

  /** The stored autoscaler overrides of version {@code version} of an app, by function. */
  Map<String, byte[]> autoscalers(String appName, long version);

  /** Every deployment, by name. */
  List<StoredApp> all();
}
