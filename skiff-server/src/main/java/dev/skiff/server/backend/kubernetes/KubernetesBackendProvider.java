package dev.skiff.server.backend.kubernetes;

import dev.skiff.server.backend.BackendConfig;
import dev.skiff.server.backend.ContainerBackend;
import dev.skiff.server.backend.ContainerBackendProvider;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * The {@code kubernetes} backend: containers as pods of the cluster that the server's Kubernetes
 * configuration names (its service account inside a pod, else {@code ~/.kube/config} or {@code
 * KUBECONFIG}), set up as {@link KubernetesSettings#fromEnvironment} says. Available where such a
 * configuration names a cluster.
 */
public final class KubernetesBackendProvider extends ContainerBackendProvider {
  /** For {@link java.util.ServiceLoader}. */
  public KubernetesBackendProvider() {}

  @Override
  public String name() {
    return "kubernetes";
  }

  /**
   * Whether a cluster is configured here, without contacting it: the server runs in a pod ({@code
   * KUBERNETES_SERVICE_HOST} set), or a kubeconfig file exists ({@code KUBECONFIG}, else {@code
   * ~/.kube/config}).
   */
  @Override
  public boolean isAvailable() {
    return configured(System.getenv(), Path.of(System.getProperty("user.home")));
  }

  static boolean configured(Map<String, String> env, Path home) {
    if (!env.getOrDefault("KUBERNETES_SERVICE_HOST", "").isBlank()) {
      return true;
    }
    String kubeconfig = env.getOrDefault("KUBECONFIG", "");
    if (!kubeconfig.isBlank()) {
      return Arrays.stream(kubeconfig.split(File.pathSeparator))
          .anyMatch(f -> !f.isBlank() && Files.isRegularFile(Path.of(f)));
    }
    return Files.isRegularFile(home.resolve(".kube").resolve("config"));
  }

  @Override
  public int priority() {
    return 4;
  }

  /**
   * A backend on the configured cluster.
   *
   * @throws IllegalStateException if a setting is missing or wrong, or the cluster refuses the
   *     backend's first requests
   */
  @Override
  public ContainerBackend create(BackendConfig config) {
    KubernetesSettings settings;
    try {
      settings = KubernetesSettings.fromEnvironment(System.getenv());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    KubernetesClient client = new KubernetesClientBuilder().build();
    try {
      return new KubernetesBackend(
          client, settings, config.containerJvmOptions(), config.images(), PodBootJar::bytes);
    } catch (RuntimeException e) {
      client.close();
      throw new IllegalStateException(
          "could not set up the Kubernetes backend in namespace "
              + settings.namespace()
              + ": "
              + e.getMessage(),
          e);
    }
  }
}
