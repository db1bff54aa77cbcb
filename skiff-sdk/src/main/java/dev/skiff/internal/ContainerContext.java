package dev.skiff.internal;

import java.util.Optional;

/**
 * Set once in a container JVM before the user's class is initialised: which app this container
 * belongs to, so that handles used by the user's code call the app's other functions on the same
 * control plane.
 */
public final class ContainerContext {
  private static volatile AppBinding current;

  private ContainerContext() {}

  /** Installs the binding of this container's app. */
  public static void install(AppBinding binding) {
    current = binding;
  }

  /** The binding of this container's app, when running in a container. */
  public static Optional<AppBinding> current() {
    return Optional.ofNullable(current);
  }
}
