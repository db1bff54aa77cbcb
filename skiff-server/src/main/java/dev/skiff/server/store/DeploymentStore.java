package dev.skiff.server.store;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Deployed apps, by name. Thread-safe. */
public interface DeploymentStore {
  /** Stores a deployment, replacing the one of the same name. Completes once durable. */
  CompletableFuture<Void> save(StoredApp app);

  /** Forgets the deployment of this name, if there is one. Completes once durable. */
  CompletableFuture<Void> delete(String name);

  /** Every deployment, by name. */
  List<StoredApp> all();
}
