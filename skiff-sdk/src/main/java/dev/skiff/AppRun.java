package dev.skiff;

/**
 * A running app, returned by {@link App#run()}: its functions can be called until it is closed.
 * Closing stops every container of the app and, for an embedded control plane, the control plane
 * itself; no child process remains afterwards. Thread-safe; {@link #close()} is idempotent.
 */
public interface AppRun extends AutoCloseable {
  /** The id the control plane gave this run of the app. */
  String appId();

  /** Stops the app and its containers. */
  @Override
  void close();
}
