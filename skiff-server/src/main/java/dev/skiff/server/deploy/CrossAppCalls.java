package dev.skiff.server.deploy;

import dev.skiff.server.runtime.AppDirectory;
import java.util.Optional;

/**
 * Which other apps a container's app may call: the deployed apps it names in {@code callable_apps}
 * ({@code App.canCall}). Granting a call grants what a call needs on the callee's side: calling its
 * functions, following those calls (await, cancel) and exchanging the calls' large payloads (blobs
 * put for the callee, blobs of its results); nothing else of the callee. Stateless and thread-safe.
 */
public final class CrossAppCalls {
  private final AppDirectory apps;
  private final Optional<Deployments> deployments;

  public CrossAppCalls(AppDirectory apps, Optional<Deployments> deployments) {
    this.apps = apps;
    this.deployments = deployments;
  }

  /** The name of {@code appId} if it is a deployed app. */
  public Optional<String> deployedName(String appId) {
    return deployments.flatMap(d -> d.nameOf(appId));
  }

  /**
   * Whether a container of {@code callerAppId} may call the functions of {@code targetAppId}: its
   * own app (another version of the same deployed app included, as during a redeploy), or a
   * deployed app that its app names as callable.
   */
  public boolean allows(String callerAppId, String targetAppId) {
    if (callerAppId.equals(targetAppId)) {
      return true;
    }
    Optional<String> target = deployedName(targetAppId);
    if (target.isEmpty()) {
      return false;
    }
    return target.equals(deployedName(callerAppId))
        || apps.find(callerAppId)
            .map(a -> a.spec().callableApps().contains(target.get()))
            .orElse(false);
  }
}
