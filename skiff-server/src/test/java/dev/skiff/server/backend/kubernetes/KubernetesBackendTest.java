package dev.skiff.server.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skiff.server.backend.Capability;
import dev.skiff.server.backend.ClasspathEntry;
import dev.skiff.server.backend.ContainerHandle;
import dev.skiff.server.backend.ContainerImage;
import dev.skiff.server.backend.ContainerSpec;
import dev.skiff.server.backend.ContainerStartException;
import dev.skiff.server.backend.ImageResolver;
import dev.skiff.server.backend.Placement;
import dev.skiff.server.backend.ResourceRequest;
import dev.skiff.server.backend.Resources;
import dev.skiff.server.backend.ShippedImage;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PreferredSchedulingTerm;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class KubernetesBackendTest {
  private static final String NS = "skiff";
  private static final String JAR = "ab".repeat(32);

  KubernetesMockServer server;
  KubernetesClient client;
  private KubernetesBackend backend;

  @AfterEach
  void closeBackend() {
    if (backend != null) {
      backend.close();
    }
  }

  private KubernetesBackend backend(Duration startWait) {
    return backend(startWait, ImageResolver.none());
  }

  private KubernetesBackend backend(Duration startWait, ImageResolver images) {
    KubernetesSettings settings =
        new KubernetesSettings(
            NS,
            "eclipse-temurin:21-jre",
            "eclipse-temurin:{feature}-jre",
            Optional.of("nfs"),
            "1Gi",
            "cp-1",
            "10.0.0.5:7735",
            "https://10.0.0.5:7734/_skiff/jars/",
            "",
            startWait,
            Duration.ofSeconds(5));
    backend =
        new KubernetesBackend(
            server.createClient(),
            settings,
            List.of("-Xshare:auto"),
            images,
            () -> new byte[] {1, 2, 3});
    return backend;
  }

  private KubernetesBackend backend() {
    return backend(Duration.ofMillis(100));
  }

  private static ContainerSpec spec(String id, Map<String, String> extraEnv, Resources resources) {
    return spec(id, extraEnv, Map.of(), resources);
  }

  private static ContainerSpec spec(
      String id, Map<String, String> extraEnv, Map<String, String> volumes, Resources resources) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("SKIFF_APP_NAME", "shop");
    env.put("SKIFF_FUNCTION_NAME", "charge");
    env.put("SKIFF_CONTAINER_ID", id);
    env.put("SKIFF_TOKEN", "token-" + id);
    env.putAll(extraEnv);
    return new ContainerSpec(
        id,
        List.of(new ClasspathEntry.Jar(JAR)),
        env,
        volumes,
        Optional.empty(),
        ContainerSpec.Reach.none(),
        resources);
  }

  private Pod pod(String id) {
    return client.pods().inNamespace(NS).withName("skiff-" + id).get();
  }

  private void setStatus(String id, UnaryOperator<PodBuilder> status) {
    Pod current = pod(id);
    Pod updated = status.apply(new PodBuilder(current)).build();
    client.pods().inNamespace(NS).resource(updated).updateStatus();
  }

  private void addNode(
      String name, String cpu, String memory, int gpus, Map<String, String> labels) {
    client
        .nodes()
        .resource(
            new NodeBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(labels)
                .endMetadata()
                .withNewStatus()
                .addToAllocatable("cpu", new Quantity(cpu))
                .addToAllocatable("memory", new Quantity(memory))
                .addToAllocatable("nvidia.com/gpu", new Quantity(Integer.toString(gpus)))
                .endStatus()
                .build())
        .create();
  }

  @Test
  void startCreatesALabelledPodThatRunsTheBootClassOnItsJars() {
    backend().start(spec("c-1", Map.of(), Resources.NONE), (stderr, line) -> {});

    Pod pod = pod("c-1");
    assertThat(pod.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "skiff")
        .containsEntry("skiff.dev/app", "shop")
        .containsEntry("skiff.dev/function", "charge")
        .containsEntry("skiff.dev/container", "c-1")
        .containsEntry("skiff.dev/control-plane", "cp-1");
    var container = pod.getSpec().getContainers().get(0);
    assertThat(container.getImage()).isEqualTo("eclipse-temurin:21-jre");
    assertThat(container.getCommand())
        .containsExactly(
            "java",
            "-Xshare:auto",
            "-cp",
            "/skiff/boot/skiff-pod-boot.jar",
            "dev.skiff.boot.PodBoot");
    assertThat(container.getEnv())
        .anySatisfy(
            e -> assertThat(e.getName() + "=" + e.getValue()).isEqualTo("SKIFF_CLASSPATH=" + JAR))
        .anySatisfy(
            e ->
                assertThat(e.getName() + "=" + e.getValue())
                    .isEqualTo("SKIFF_CONTROL_PLANE=10.0.0.5:7735"));
    assertThat(pod.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(o -> assertThat(o.getName()).isEqualTo("skiff-app-shop"));
    assertThat(client.configMaps().inNamespace(NS).withName("skiff-boot").get().getBinaryData())
        .containsKey("skiff-pod-boot.jar");
  }

  @Test
  void cpuAndMemoryBecomeThePodsRequestsAndLimits() {
    backend().start(spec("c-1", Map.of(), new Resources(500, 1500, 256, 1024)), (s, l) -> {});

    var resources = pod("c-1").getSpec().getContainers().get(0).getResources();
    assertThat(resources.getRequests())
        .containsEntry("cpu", new Quantity("500m"))
        .containsEntry("memory", new Quantity("256Mi"));
    assertThat(resources.getLimits())
        .containsEntry("cpu", new Quantity("1500m"))
        .containsEntry("memory", new Quantity("1024Mi"));
  }

  @Test
  void aGpuFallbackListRequiresOneOfItsProductsAndPrefersThemInOrder() {
    addNode("a", "8", "32Gi", 4, Map.of("nvidia.com/gpu.product", "A100"));
    addNode("h", "8", "32Gi", 8, Map.of("nvidia.com/gpu.product", "h100"));
    List<ResourceRequest.GpuChoice> gpus =
        List.of(
            ResourceRequest.GpuChoice.parse("a100:2"), ResourceRequest.GpuChoice.parse("H100:2"));
    backend()
        .start(spec("c-1", Map.of(), new Resources(0, 0, 0, 0, gpus, List.of())), (s, l) -> {});

    var pod = pod("c-1");
    assertThat(pod.getSpec().getContainers().get(0).getResources().getLimits())
        .containsEntry("nvidia.com/gpu", new Quantity("2"));
    var affinity = pod.getSpec().getAffinity().getNodeAffinity();
    NodeSelectorRequirement required =
        affinity
            .getRequiredDuringSchedulingIgnoredDuringExecution()
            .getNodeSelectorTerms()
            .get(0)
            .getMatchExpressions()
            .get(0);
    assertThat(required.getKey()).isEqualTo("nvidia.com/gpu.product");
    assertThat(required.getValues()).containsExactly("A100", "h100");
    List<PreferredSchedulingTerm> preferred =
        affinity.getPreferredDuringSchedulingIgnoredDuringExecution();
    assertThat(preferred).extracting(PreferredSchedulingTerm::getWeight).containsExactly(100, 50);
    assertThat(preferred)
        .extracting(p -> p.getPreference().getMatchExpressions().get(0).getValues())
        .containsExactly(List.of("A100"), List.of("h100"));
  }

  @Test
  void regionsBecomeARequiredNodeAffinity() {
    backend()
        .start(
            spec(
                "c-1",
                Map.of(),
                new Resources(0, 0, 0, 0, List.of(), List.of("eu-west", "eu-north"))),
            (s, l) -> {});

    NodeSelectorRequirement required =
        pod("c-1")
            .getSpec()
            .getAffinity()
            .getNodeAffinity()
            .getRequiredDuringSchedulingIgnoredDuringExecution()
            .getNodeSelectorTerms()
            .get(0)
            .getMatchExpressions()
            .get(0);
    assertThat(required.getKey()).isEqualTo("topology.kubernetes.io/region");
    assertThat(required.getValues()).containsExactly("eu-west", "eu-north");
  }

  @Test
  void theTokenAndSecretsReachThePodOnlyThroughItsSecret() {
    backend()
        .start(spec("c-1", Map.of("DB_PASSWORD", "hunter2-value"), Resources.NONE), (s, l) -> {});

    String json = client.getKubernetesSerialization().asJson(pod("c-1"));
    assertThat(json).doesNotContain("hunter2-value").doesNotContain("token-c-1");
    assertThat(pod("c-1").getSpec().getContainers().get(0).getEnv())
        .filteredOn(e -> e.getName().equals("DB_PASSWORD"))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("skiff-c-1");
              assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("DB_PASSWORD");
            });
    var secret = client.secrets().inNamespace(NS).withName("skiff-c-1").get();
    assertThat(
            new String(
                Base64.getDecoder().decode(secret.getData().get("DB_PASSWORD")),
                StandardCharsets.UTF_8))
        .isEqualTo("hunter2-value");
    assertThat(secret.getData()).containsKey("SKIFF_TOKEN");
  }

  @Test
  void aVolumeIsOneReadWriteManyClaimMountedAtItsPath() {
    KubernetesBackend b = backend();
    b.start(spec("c-1", Map.of(), Map.of("/data", "models"), Resources.NONE), (s, l) -> {});
    b.start(spec("c-2", Map.of(), Map.of("/cache", "models"), Resources.NONE), (s, l) -> {});

    var claims = client.persistentVolumeClaims().inNamespace(NS).list().getItems();
    assertThat(claims)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.getMetadata().getName()).isEqualTo("skiff-volume-models");
              assertThat(c.getSpec().getAccessModes()).containsExactly("ReadWriteMany");
              assertThat(c.getSpec().getStorageClassName()).isEqualTo("nfs");
            });
    var pod = pod("c-2");
    assertThat(pod.getSpec().getContainers().get(0).getVolumeMounts())
        .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/cache"));
    assertThat(pod.getSpec().getVolumes())
        .filteredOn(v -> v.getPersistentVolumeClaim() != null)
        .singleElement()
        .satisfies(
            v ->
                assertThat(v.getPersistentVolumeClaim().getClaimName())
                    .isEqualTo("skiff-volume-models"));
  }

  @Test
  void stopAndKillDeleteThePodAndItsSecret() {
    KubernetesBackend b = backend();
    ContainerHandle stopped = b.start(spec("c-1", Map.of(), Resources.NONE), (s, l) -> {});
    ContainerHandle killed = b.start(spec("c-2", Map.of(), Resources.NONE), (s, l) -> {});

    stopped.stop();
    killed.kill();

    assertThat(stopped.onExit())
        .succeedsWithin(Duration.ofSeconds(10))
        .isEqualTo(PodContainer.KILLED);
    assertThat(killed.onExit())
        .succeedsWithin(Duration.ofSeconds(10))
        .isEqualTo(PodContainer.KILLED);
    await()
        .untilAsserted(
            () -> {
              assertThat(client.pods().inNamespace(NS).list().getItems()).isEmpty();
              assertThat(client.secrets().inNamespace(NS).list().getItems()).isEmpty();
            });
  }

  @Test
  void aBackendClosedJustAfterAPodEndedStillDeletesItsSecret() {
    KubernetesBackend b = backend();
    ContainerHandle handle = b.start(spec("c-1", Map.of(), Resources.NONE), (s, l) -> {});
    // The cluster takes a while to answer the pod's deletion, which comes before its secret's.
    server
        .expect()
        .delete()
        .delay(500, TimeUnit.MILLISECONDS)
        .withPath("/api/v1/namespaces/" + NS + "/pods/skiff-c-1")
        .andReturn(200, new StatusBuilder().withStatus("Success").build())
        .once();

    setStatus(
        "c-1",
        p ->
            p.withNewStatus()
                .withPhase("Failed")
                .withReason("Evicted")
                .withMessage("The node was low on resource: memory.")
                .endStatus());
    assertThat(handle.onExit()).succeedsWithin(Duration.ofSeconds(10)).isEqualTo(1);
    b.close(); // at once, while the pod's deletion is under way

    assertThat(client.secrets().inNamespace(NS).list().getItems()).isEmpty();
  }

  @Test
  void aPodOutOfMemoryEndsAsKilledForMemory() {
    ContainerHandle handle = backend().start(spec("c-1", Map.of(), Resources.NONE), (s, l) -> {});

    setStatus(
        "c-1",
        p ->
            p.withNewStatus()
                .withPhase("Failed")
                .addNewContainerStatus()
                .withName("function")
                .withNewState()
                .withNewTerminated()
                .withExitCode(137)
                .withReason("OOMKilled")
                .endTerminated()
                .endState()
                .endContainerStatus()
                .endStatus());

    assertThat(handle.onExit()).succeedsWithin(Duration.ofSeconds(10)).isEqualTo(137);
    assertThat(handle.stderrTail())
        .singleElement()
        .asString()
        .startsWith(ContainerHandle.KILLED_FOR_MEMORY + ": ");
  }

  @Test
  void anEvictedPodCrashesWithTheReason() {
    ContainerHandle handle = backend().start(spec("c-1", Map.of(), Resources.NONE), (s, l) -> {});

    setStatus(
        "c-1",
        p ->
            p.withNewStatus()
                .withPhase("Failed")
                .withReason("Evicted")
                .withMessage("The node was low on resource: ephemeral-storage.")
                .endStatus());

    assertThat(handle.onExit()).succeedsWithin(Duration.ofSeconds(10)).isEqualTo(1);
    assertThat(handle.stderrTail())
        .singleElement()
        .asString()
        .contains("(Evicted): The node was low on resource: ephemeral-storage.");
  }

  @Test
  void aPodDeletedBySomeoneElseCountsAsKilled() {
    ContainerHandle handle = backend().start(spec("c-1", Map.of(), Resources.NONE), (s, l) -> {});

    client.pods().inNamespace(NS).withName("skiff-c-1").delete();

    assertThat(handle.onExit()).succeedsWithin(Duration.ofSeconds(10)).isEqualTo(137);
    assertThat(handle.stderrTail())
        .singleElement()
        .asString()
        .contains("was deleted before its container ended");
    await()
        .untilAsserted(
            () ->
                assertThat(client.secrets().inNamespace(NS).withName("skiff-c-1").get()).isNull());
  }

  @Test
  void anImageThatCannotBePulledFailsTheStartNamingIt() {
    KubernetesBackend b = backend(Duration.ofSeconds(30));
    CompletableFuture<ContainerHandle> start =
        CompletableFuture.supplyAsync(
            () -> b.start(spec("c-1", Map.of(), Resources.NONE), (s, l) -> {}));
    await().until(() -> pod("c-1") != null);

    setStatus(
        "c-1",
        p ->
            p.withNewStatus()
                .withPhase("Pending")
                .addNewContainerStatus()
                .withName("function")
                .withNewState()
                .withNewWaiting()
                .withReason("ImagePullBackOff")
                .withMessage("Back-off pulling image")
                .endWaiting()
                .endState()
                .endContainerStatus()
                .endStatus());

    assertThat(start)
        .failsWithin(Duration.ofSeconds(10))
        .withThrowableThat()
        .havingRootCause()
        .isInstanceOf(ContainerStartException.class)
        .withMessageContaining("could not pull image 'eclipse-temurin:21-jre'")
        .withMessageContaining("ImagePullBackOff");
    await().untilAsserted(() -> assertThat(pod("c-1")).isNull());
  }

  @Test
  void anUnschedulablePodSaysWhyItWaits() {
    ContainerHandle handle = backend().start(spec("c-1", Map.of(), Resources.NONE), (s, l) -> {});

    setStatus(
        "c-1",
        p ->
            p.withNewStatus()
                .withPhase("Pending")
                .addNewCondition()
                .withType("PodScheduled")
                .withStatus("False")
                .withReason("Unschedulable")
                .withMessage("0/3 nodes are available: 3 Insufficient nvidia.com/gpu.")
                .endCondition()
                .endStatus());

    await()
        .untilAsserted(
            () ->
                assertThat(handle.waitingReason())
                    .hasValueSatisfying(
                        r ->
                            assertThat(r)
                                .contains("Unschedulable")
                                .contains("3 Insufficient nvidia.com/gpu")));
  }

  @Test
  void aRequestNoNodeCouldHoldNeverFits() {
    addNode("small", "8", "32Gi", 0, Map.of("topology.kubernetes.io/region", "eu-west"));
    Placement placement = backend().placement();

    assertThat(placement.neverFits(new ResourceRequest(64_000, 0, 0, 0, List.of(), List.of())))
        .hasValue("a cpu request of 64 cores can never fit: the largest node has 8");
    assertThat(
            placement.neverFits(
                new ResourceRequest(
                    0, 0, 0, 0, List.of(ResourceRequest.GpuChoice.parse("A100")), List.of())))
        .hasValueSatisfying(
            m -> assertThat(m).startsWith("gpu 1 x A100 is not available on any node"));
    assertThat(placement.neverFits(new ResourceRequest(0, 0, 0, 0, List.of(), List.of("us-east"))))
        .hasValueSatisfying(m -> assertThat(m).contains("region us-east has no node"));
    assertThat(
            placement.neverFits(
                new ResourceRequest(2000, 0, 1024, 0, List.of(), List.of("eu-west"))))
        .isEmpty();
  }

  @Test
  void anUnknownBuiltImageIsRefusedNamingIt() {
    assertThatThrownBy(() -> backend().start(onImage("im-gone"), (s, l) -> {}))
        .isInstanceOf(ContainerStartException.class)
        .hasMessageContaining("image im-gone is not built on this control plane");
  }

  @Test
  void aBuiltImageThatCannotBeShippedIsRefusedWithTheReason() {
    ImageResolver debianOnly =
        shipping(
            id -> {
              throw new IllegalArgumentException("image " + id + " is a Debian image");
            });

    assertThatThrownBy(
            () ->
                backend(Duration.ofMillis(100), debianOnly)
                    .start(onImage("im-debian"), (s, l) -> {}))
        .isInstanceOf(ContainerStartException.class)
        .hasMessageContaining("image im-debian is a Debian image");
    assertThat(pod("c-1")).isNull();
  }

  @Test
  void aBuiltJdkImageRunsOnItsJdkImageWithItsJarsEnvironmentAndFiles() {
    String libJar = "b".repeat(64);
    String files = "c".repeat(64);
    ImageResolver shipped =
        shipping(
            id ->
                Optional.of(
                    new ShippedImage(
                        17,
                        List.of(libJar),
                        Optional.of(files),
                        "app",
                        Map.of(
                            "GREETING", "from the image", "SKIFF_APP_NAME", "not the image's"))));

    backend(Duration.ofMillis(100), shipped).start(onImage("im-jdk"), (s, l) -> {});

    var container = pod("c-1").getSpec().getContainers().get(0);
    assertThat(container.getImage()).isEqualTo("eclipse-temurin:17-jre");
    assertThat(container.getWorkingDir()).isEqualTo("/skiff/image/app");
    Map<String, String> env = new LinkedHashMap<>();
    container.getEnv().stream()
        .filter(e -> e.getValue() != null)
        .forEach(e -> env.put(e.getName(), e.getValue()));
    assertThat(env)
        .containsEntry("SKIFF_CLASSPATH", JAR + "," + libJar)
        .containsEntry("SKIFF_IMAGE_FILES", files)
        .containsEntry("SKIFF_IMAGE_DIR", "/skiff/image")
        .containsEntry("GREETING", "from the image")
        .containsEntry("SKIFF_APP_NAME", "shop");
    assertThat(container.getVolumeMounts())
        .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/skiff/image"));
  }

  /** Images that are shipped as {@code ship} says, and found nowhere on this machine. */
  private static ImageResolver shipping(Function<String, Optional<ShippedImage>> ship) {
    return new ImageResolver() {
      @Override
      public Optional<ContainerImage> find(String id) {
        return Optional.empty();
      }

      @Override
      public Optional<ShippedImage> ship(String id) {
        return ship.apply(id);
      }
    };
  }

  private static ContainerSpec onImage(String imageId) {
    ContainerSpec base = spec("c-1", Map.of(), Resources.NONE);
    return new ContainerSpec(
        base.containerId(),
        base.classpath(),
        base.environment(),
        base.volumes(),
        Optional.of(imageId),
        base.reach(),
        base.resources());
  }

  @Test
  void aRegistryImageIsThePodsImageWithItsEnvironmentAndWorkingDirectory() {
    ContainerSpec base = spec("c-1", Map.of("MODE", "mine"), Resources.NONE);
    ContainerSpec onRegistry =
        new ContainerSpec(
            base.containerId(),
            base.classpath(),
            base.environment(),
            base.volumes(),
            Optional.empty(),
            base.reach(),
            base.resources(),
            Optional.of(
                new ContainerSpec.RegistryImage(
                    "registry.example/team/jre:21",
                    Map.of("GREETING", "hello", "MODE", "image's"),
                    Optional.of("/srv/app"))));

    backend().start(onRegistry, (s, l) -> {});

    var container = pod("c-1").getSpec().getContainers().get(0);
    assertThat(container.getImage()).isEqualTo("registry.example/team/jre:21");
    assertThat(container.getWorkingDir()).isEqualTo("/srv/app");
    assertThat(container.getEnv())
        .anySatisfy(e -> assertThat(e.getName() + "=" + e.getValue()).isEqualTo("GREETING=hello"))
        .noneSatisfy(e -> assertThat(e.getValue()).isEqualTo("image's"));
    assertThat(backend.capabilities().has(Capability.REGISTRY_IMAGE)).isTrue();
  }

  @Test
  void podsLeftByAnEarlierRunAreDeletedAtStart() {
    for (String controlPlane : List.of("cp-1", "cp-2")) {
      String name = "skiff-c-" + controlPlane;
      var meta =
          new ObjectMetaBuilder()
              .withName(name)
              .withNamespace(NS)
              .withLabels(Map.of("skiff.dev/control-plane", controlPlane))
              .build();
      client.pods().inNamespace(NS).resource(new PodBuilder().withMetadata(meta).build()).create();
      client
          .secrets()
          .inNamespace(NS)
          .resource(new SecretBuilder().withMetadata(meta).build())
          .create();
    }

    backend();

    assertThat(pod("c-cp-1")).isNull();
    assertThat(client.secrets().inNamespace(NS).withName("skiff-c-cp-1").get()).isNull();
    assertThat(pod("c-cp-2")).isNotNull();
  }
}
