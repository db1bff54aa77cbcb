package dev.skiff.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The test-only node agent on fabric8's mock Kubernetes API: a pod's command runs as a local
 * process with its ConfigMap and Secret, its status follows the process, and an image that fails to
 * pull or a process killed for memory are reported as a kubelet reports them.
 */
@Tag("e2e")
@EnableKubernetesMockClient(crud = true)
class PodAgentTest {
  KubernetesClient client;

  @TempDir Path dir;

  @Test
  void aPodRunsAsAProcessWithItsFilesAndSecretsAndItsStatusFollowsIt() throws Exception {
    client
        .configMaps()
        .inNamespace("t")
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("files")
                .endMetadata()
                .withData(Map.of("hello.txt", "hello from a config map"))
                .build())
        .create();
    client
        .secrets()
        .inNamespace("t")
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("keys")
                .endMetadata()
                .withStringData(Map.of("token", "s3cret"))
                .build())
        .create();
    try (PodAgent agent =
        new PodAgent(client, "t", Files.createDirectories(dir.resolve("agent"))).start()) {
      client.pods().inNamespace("t").resource(pod("one", "img:1", "exit 3")).create();
      await().atMost(Duration.ofSeconds(30)).until(() -> "Failed".equals(phase("one")));
      var terminated = status("one").getContainerStatuses().get(0).getState().getTerminated();
      assertThat(terminated.getExitCode()).isEqualTo(3);
      assertThat(agent.log("one")).contains("hello from a config map", "token=s3cret");

      agent.failNextWith("img:broken", "ErrImagePull");
      client.pods().inNamespace("t").resource(pod("two", "img:broken", "exit 0")).create();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  status("two") != null
                      && status("two").getContainerStatuses() != null
                      && !status("two").getContainerStatuses().isEmpty());
      assertThat(status("two").getPhase()).isEqualTo("Pending");
      assertThat(status("two").getContainerStatuses().get(0).getState().getWaiting().getReason())
          .isEqualTo("ErrImagePull");

      client.pods().inNamespace("t").resource(pod("three", "img:1", "sleep 60")).create();
      await().atMost(Duration.ofSeconds(30)).until(() -> agent.runningPods().contains("three"));
      agent.killForMemory("three");
      await().atMost(Duration.ofSeconds(30)).until(() -> "Failed".equals(phase("three")));
      var oom = status("three").getContainerStatuses().get(0).getState().getTerminated();
      assertThat(oom.getReason()).isEqualTo("OOMKilled");
      assertThat(oom.getExitCode()).isEqualTo(137);

      client.pods().inNamespace("t").resource(pod("four", "img:1", "sleep 60")).create();
      await().atMost(Duration.ofSeconds(30)).until(() -> agent.runningPods().contains("four"));
      client.pods().inNamespace("t").withName("four").delete();
      await().atMost(Duration.ofSeconds(30)).until(() -> !agent.runningPods().contains("four"));

      // With nodes declared, a pod that no node can hold waits with the scheduler's reason.
      client
          .nodes()
          .resource(
              new NodeBuilder()
                  .withNewMetadata()
                  .withName("cpu-node")
                  .withLabels(Map.of("topology.kubernetes.io/region", "eu-west"))
                  .endMetadata()
                  .withNewStatus()
                  .withAllocatable(Map.of("cpu", new Quantity("4"), "memory", new Quantity("8Gi")))
                  .endStatus()
                  .build())
          .create();
      Pod big = pod("five", "img:1", "exit 0");
      big.getSpec()
          .getContainers()
          .get(0)
          .setResources(
              new ResourceRequirementsBuilder()
                  .withLimits(Map.of("nvidia.com/gpu", new Quantity("1")))
                  .build());
      client.pods().inNamespace("t").resource(big).create();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  status("five") != null
                      && status("five").getConditions() != null
                      && status("five").getConditions().stream()
                          .anyMatch(c -> "Unschedulable".equals(c.getReason())));
      assertThat(status("five").getConditions().get(0).getMessage())
          .isEqualTo("0/1 nodes are available: 1 Insufficient resources.");
      assertThat(agent.runningPods()).doesNotContain("five");
    }
  }

  private String phase(String pod) {
    var s = status(pod);
    return s == null ? null : s.getPhase();
  }

  private PodStatus status(String pod) {
    Pod p = client.pods().inNamespace("t").withName(pod).get();
    return p == null ? null : p.getStatus();
  }

  private static Pod pod(String name, String image, String then) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("main")
        .withImage(image)
        .withCommand("sh", "-c", "cat /cfg/hello.txt; echo token=$TOKEN; " + then)
        .addNewEnv()
        .withName("TOKEN")
        .withNewValueFrom()
        .withNewSecretKeyRef()
        .withName("keys")
        .withKey("token")
        .endSecretKeyRef()
        .endValueFrom()
        .endEnv()
        .addNewVolumeMount()
        .withName("cfg")
        .withMountPath("/cfg")
        .withReadOnly(true)
        .endVolumeMount()
        .endContainer()
        .addNewVolume()
        .withName("cfg")
        .withNewConfigMap()
        .withName("files")
        .endConfigMap()
        .endVolume()
        .endSpec()
        .build();
  }
}
