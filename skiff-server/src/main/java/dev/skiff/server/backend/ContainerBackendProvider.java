package dev.skiff.server.backend;

import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * Makes one kind of {@link ContainerBackend}. Providers are found with {@link ServiceLoader}
 * (listed in {@code META-INF/services/dev.skiff.server.backend.ContainerBackendProvider}) and
 * chosen by {@linkplain #name() name}: {@code skiff server --backend NAME}, {@value #DEFAULT}
 * unless told otherwise. Shaped like grpc-java's {@code ServerProvider}: a name, whether it works
 * here, and a priority that orders the listing.
 *
 * <p>Implementations have a public no-argument constructor and are thread-safe.
 */
public abstract class ContainerBackendProvider {
  /** The backend a control plane uses unless told otherwise: child processes on this machine. */
  public static final String DEFAULT = "local";

  /** For subclasses. */
  protected ContainerBackendProvider() {}

  /** The name it is chosen by, e.g. {@code local}: lower case, no spaces. */
  public abstract String name();

  /**
   * Whether its backend can work in this process at all (its libraries, its cluster's
   * configuration). A backend that works with fewer {@link Capabilities} is available.
   */
  public abstract boolean isAvailable();

  /** Orders the listing of available backends, highest first; 5 for an ordinary one. */
  public abstract int priority();

  /**
   * Makes a backend.
   *
   * @throws IllegalStateException if it cannot run containers as {@code config} asks (for a server:
   *     no sandbox, and the operator did not allow containers outside one)
   */
  public abstract ContainerBackend create(BackendConfig config);

  /**
   * Every provider found with {@link ServiceLoader} on this class's class loader, the available
   * ones first, by descending priority, then by name.
   */
  public static List<ContainerBackendProvider> all() {
    return ServiceLoader.load(
            ContainerBackendProvider.class, ContainerBackendProvider.class.getClassLoader())
        .stream()
        .map(ServiceLoader.Provider::get)
        .sorted(
            Comparator.comparing((ContainerBackendProvider p) -> !p.isAvailable())
                .thenComparing(ContainerBackendProvider::priority, Comparator.reverseOrder())
                .thenComparing(ContainerBackendProvider::name))
        .toList();
  }

  /**
   * The available provider named {@code name}.
   *
   * @throws IllegalArgumentException if there is none by that name, or it is not available here;
   *     the message lists the available ones
   */
  public static ContainerBackendProvider named(String name) {
    List<ContainerBackendProvider> all = all();
    String available =
        all.stream()
            .filter(ContainerBackendProvider::isAvailable)
            .map(ContainerBackendProvider::name)
            .collect(Collectors.joining(", "));
    String allowed = available.isEmpty() ? "none" : available;
    for (ContainerBackendProvider p : all) {
      if (p.name().equals(name)) {
        if (!p.isAvailable()) {
          throw new IllegalArgumentException(
              "container backend '" + name + "' is not available here; available: " + allowed);
        }
        return p;
      }
    }
    throw new IllegalArgumentException(
        "unknown container backend '" + name + "'; available: " + allowed);
  }

  @Override
  public String toString() {
    return name() + " (priority " + priority() + (isAvailable() ? "" : ", unavailable") + ")";
  }
}
