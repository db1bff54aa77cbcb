package dev.skiff.internal;

import dev.skiff.proto.FunctionRef;

/**
 * Where a running app's functions are called: its id on a control plane and the client to reach
 * it.
 *
 * @param appName the app's name
 * @param appId the id the control plane gave the running app
 * @param client the connection to that control plane
 * @param showProgress whether long maps draw a progress bar on a terminal
 */
public record AppBinding(String appName, String appId, SkiffClient client, boolean showProgress) {
  /** The wire reference to one of the app's functions. */
  public FunctionRef ref(String function) {
    return FunctionRef.newBuilder().setAppId(appId).setFunctionName(function).build();
  }
}
