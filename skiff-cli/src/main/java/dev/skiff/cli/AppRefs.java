package dev.skiff.cli;

import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.AppState;
import dev.skiff.proto.AppSummary;
import dev.skiff.proto.ListAppsRequest;
import java.util.List;

/** Turns what the user typed for an app (a name or an app id) into the app the server runs. */
final class AppRefs {
  private AppRefs() {}

  /** The server's apps: deployed, draining and ephemeral. */
  static List<AppSummary> list(SkiffClient client) {
    try {
      return client.blocking().listApps(ListAppsRequest.getDefaultInstance()).getAppsList();
    } catch (RuntimeException e) {
      throw client.translate(e);
    }
  }

  /**
   * The app {@code app} names: an app id ({@code ap-...}) as is; a name is the current deployment
   * of that name, else the one ephemeral app running under it.
   *
   * @throws CliException if no app has that name or id, or several ephemeral apps share the name
   */
  static AppSummary find(SkiffClient client, String app) {
    List<AppSummary> apps = list(client);
    for (AppSummary a : apps) {
      if (a.getAppId().equals(app)) {
        return a;
      }
    }
    List<AppSummary> named = apps.stream().filter(a -> a.getAppName().equals(app)).toList();
    for (AppSummary a : named) {
      if (a.getState() == AppState.APP_DEPLOYED) {
        return a;
      }
    }
    List<AppSummary> running =
        named.stream().filter(a -> a.getState() == AppState.APP_EPHEMERAL).toList();
    if (running.size() == 1) {
      return running.get(0);
    }
    if (running.size() > 1) {
      throw new CliException(
          "several running apps are named '"
              + app
              + "' ("
              + running.stream().map(AppSummary::getAppId).toList()
              + "); give an app id");
    }
    throw new CliException(
        "no app named '"
            + app
            + "' is deployed or running on "
            + client.target()
            + "; 'skiff app list' shows the apps");
  }
}
