package dev.skiff.cli;

/** Turns what the user typed for an app into the app id that the client API takes. */
final class AppRefs {
  private AppRefs() {}

  /**
   * The app id for {@code app}: an app id ({@code ap-...}, as {@code AppRun.appId()} and the
   * server's logs show it) is used as is.
   *
   * @throws CliException for anything else: looking apps up by name needs the server's app list
   */
  static String appId(String app) {
    if (app.matches("ap-[a-z2-7]{10}")) {
      return app;
    }
    throw new CliException(
        "'" + app + "' is not an app id (ap-...); finding apps by name needs the long-running"
            + " server's app list, which this build does not have yet", 2);
  }
}
