package dev.skiff.internal;

import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** The apps running in this JVM, in the order they started. Thread-safe. */
public final class RunningApps {
  private static final CopyOnWriteArrayList<AppBinding> RUNNING = new CopyOnWriteArrayList<>();

  private RunningApps() {}

  /** Records a started app. */
  public static void add(AppBinding binding) {
    RUNNING.add(binding);
  }

  /** Forgets a stopped app. */
  public static void remove(AppBinding binding) {
    RUNNING.remove(binding);
  }

  /** The most recently started app that is still running. */
  public static Optional<AppBinding> any() {
    Object[] all = RUNNING.toArray();
    return all.length == 0 ? Optional.empty() : Optional.of((AppBinding) all[all.length - 1]);
  }
}
