package dev.skiff;

import java.util.List;

/**
 * A running app, returned by {@link App#run()}: its functions can be called until it is closed.
 * Closing stops every container of the app and, for an embedded control plane, the control plane
 * itself; no child process remains afterwards. Thread-safe; {@link #close()} is idempotent.
 */
public interface AppRun extends AutoCloseable {
  /** The id the control plane gave this run of the app. */
  String appId();

  /**
   * What each function of the app is doing now, in name order: its containers with their states
   * (starting, idle, busy, stopping), its queued and running inputs, the autoscaler's settings and
   * wish, and why containers wait when some are wanted but not placed. Asks the control plane; a
   * snapshot. Thread-safe.
   *
   * @throws SkiffException if the run is closed or the control plane cannot be reached
   */
  List<FunctionStatus> status();

  /**
   * The warm-pool containers the control plane keeps started for this app's classpath (state {@link
   * ContainerStatus.State#WARM}): JVMs that have loaded Skiff but no function yet, from which the
   * next container a function of the app needs is taken. Apps on the same classpath share them;
   * they stop when no running app uses the classpath. Asks the control plane; a snapshot.
   * Thread-safe.
   *
   * @throws SkiffException if the run is closed or the control plane cannot be reached
   */
  List<ContainerStatus> warmContainers();

  /**
   * The runs of the app's scheduled functions ({@code Every} and {@code Cron}) so far, oldest first
   * (the newest 1000 are kept): for each, the tick it ran for, when it started, and whether it is
   * running, succeeded or failed. Asks the control plane; a snapshot. Thread-safe.
   *
   * @throws SkiffException if the run is closed or the control plane cannot be reached
   */
  List<ScheduledRun> history();

  /**
   * Creates a web token on the control plane that runs this app: a key id and secret that web
   * endpoints requiring auth accept in the {@code Skiff-Key} and {@code Skiff-Secret} headers, and
   * that can do nothing else. On an embedded control plane the token lives as long as the control
   * plane; on a server it lasts until revoked ({@code skiff token revoke}), like one made with
   * {@code skiff token create}. Thread-safe.
   *
   * @param name a label for people: empty, or 1-64 of {@code [A-Za-z0-9_.-]} starting with a letter
   *     or digit
   * @throws InvalidConfigurationException if the name is not allowed
   * @throws SkiffException if the run is closed or the control plane cannot be reached
   */
  WebToken createWebToken(String name);

  /** Stops the app and its containers. */
  @Override
  void close();
}
