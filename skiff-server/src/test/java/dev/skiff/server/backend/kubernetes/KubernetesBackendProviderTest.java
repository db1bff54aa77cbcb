package dev.skiff.server.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.server.backend.ContainerBackendProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubernetesBackendProviderTest {
  @Test
  void isFoundByNameThroughTheServiceLoader() {
    assertThat(ContainerBackendProvider.all())
        .extracting(ContainerBackendProvider::name)
        .contains("kubernetes");
  }

  @Test
  void isAvailableInAPodOrWithAKubeconfig(@TempDir Path home) throws Exception {
    assertThat(KubernetesBackendProvider.configured(Map.of(), home)).isFalse();
    assertThat(
            KubernetesBackendProvider.configured(
                Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1"), home))
        .isTrue();
    assertThat(
            KubernetesBackendProvider.configured(
                Map.of("KUBECONFIG", home.resolve("missing").toString()), home))
        .isFalse();
    Files.createDirectories(home.resolve(".kube"));
    Files.writeString(home.resolve(".kube/config"), "apiVersion: v1\n");
    assertThat(KubernetesBackendProvider.configured(Map.of(), home)).isTrue();
  }

  @Test
  void settingsWithoutTheControlPlanesAddressAreRefusedNamingIt() {
    assertThatThrownBy(() -> KubernetesSettings.fromEnvironment(Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("SKIFF_KUBERNETES_CONTROL_PLANE is empty; the Kubernetes backend needs it set");
    KubernetesSettings settings =
        KubernetesSettings.fromEnvironment(
            Map.of(
                "SKIFF_KUBERNETES_CONTROL_PLANE", "skiff:7735",
                "SKIFF_KUBERNETES_JAR_URL", "https://skiff:7734/_skiff/jars/",
                "HOSTNAME", "skiff-0"));
    assertThat(settings.namespace()).isEqualTo("skiff");
    assertThat(settings.image()).isEqualTo("eclipse-temurin:21-jre");
    assertThat(settings.controlPlaneId()).isEqualTo("skiff-0");
  }
}
