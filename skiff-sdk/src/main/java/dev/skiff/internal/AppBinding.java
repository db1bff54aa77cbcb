package dev.skiff.internal;

import dev.skiff.proto.FunctionRef;

/**
 * Where a running app's functions are called: its id on a control plane and the client to reach it.
 *
 * @param appName the app's name
 * @param appId the id the control plane gave the running app
 * @param client the connection to that control plane
 * @param showProgress whether long maps draw a progress bar on a terminal
 * @param byName whether calls name the app (its current deployment) rather than this app id
 */
public record AppBinding(
    String appName, String appId, SkiffClient client, boolean showProgress, boolean byName) {
  /** A binding to one running app by its id. */
  public AppBinding(String appName, String appId, SkiffClient client, boolean showProgress) {
    this(appName, appId, client, showProgress, false);
  }

  /** The wire reference to one of the app's functions. */
  public FunctionRef ref(String function) {
    FunctionRef.Builder b = FunctionRef.newBuilder().setFunctionName(function);
    return (byName ? b.setAppName(appName) : b.setAppId(appId)).build();
  }
}
