package dev.skiff.server.backend.kubernetes;

import dev.skiff.internal.container.ContainerEnvironment;
import dev.skiff.server.backend.ClasspathEntry;
import dev.skiff.server.backend.ContainerSpec;
import dev.skiff.server.backend.ContainerStartException;
import dev.skiff.server.backend.ResourceRequest;
import dev.skiff.server.backend.Resources;
import dev.skiff.server.backend.ShippedImage;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorTermBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PreferredSchedulingTerm;
import io.fabric8.kubernetes.api.model.PreferredSchedulingTermBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The Kubernetes objects the backend creates, as pure functions of a {@link ContainerSpec} and the
 * settings: a container's pod and its secret, an app's owner config map, a volume's claim and the
 * boot jar's config map. Names and label values are made valid for Kubernetes (a name that had to
 * change gets a short hash of the original, so that two names never meet).
 */
final class PodManifests {
  static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  static final String SKIFF = "skiff";
  static final String APP = "skiff.dev/app";
  static final String FUNCTION = "skiff.dev/function";
  static final String CONTAINER = "skiff.dev/container";
  static final String CONTROL_PLANE = "skiff.dev/control-plane";

  static final String BOOT_CONFIG_MAP = "skiff-boot";
  static final String BOOT_JAR = "skiff-pod-boot.jar";
  static final String BOOT_DIR = "/skiff/boot";
  static final String CACHE_DIR = "/skiff/cache";
  static final String IMAGE_DIR = "/skiff/image";
  static final String BOOT_CLASS = "dev.skiff.boot.PodBoot";
  static final String CONTAINER_NAME = "function";

  static final String JAR_URL = "SKIFF_JAR_URL";
  static final String CLASSPATH = "SKIFF_CLASSPATH";
  static final String IMAGE_FILES = "SKIFF_IMAGE_FILES";
  static final String IMAGE_FILES_DIR = "SKIFF_IMAGE_DIR";
  static final String CONTROL_PLANE_ADDRESS = "SKIFF_CONTROL_PLANE";
  static final String CONTROL_PLANE_CERT = "SKIFF_CONTROL_PLANE_CERT";

  /**
   * The variables that the control plane sets by contract, which a pod sees in clear; the token and
   * every other variable (the function's secrets) go through the container's Secret.
   */
  private static final Set<String> CLEAR =
      Set.of(
          ContainerEnvironment.SERVER,
          ContainerEnvironment.CONTAINER_ID,
          ContainerEnvironment.POOL,
          ContainerEnvironment.APP_ID,
          ContainerEnvironment.APP_NAME,
          ContainerEnvironment.FUNCTION_NAME,
          ContainerEnvironment.FUNCTION_CLASS,
          ContainerEnvironment.FUNCTION_METHOD,
          ContainerEnvironment.FUNCTION_DESCRIPTOR,
          ContainerEnvironment.GENERATOR,
          ContainerEnvironment.CONCURRENT_INPUTS,
          ContainerEnvironment.GPU_TYPE,
          ContainerEnvironment.CUDA_VISIBLE_DEVICES);

  private static final Pattern SECRET_KEY = Pattern.compile("[-._a-zA-Z0-9]+");
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern LABEL_VALUE =
      Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?");

  private final KubernetesSettings settings;
  private final List<String> jvmOptions;

  PodManifests(KubernetesSettings settings, List<String> jvmOptions) {
    this.settings = settings;
    this.jvmOptions = List.copyOf(jvmOptions);
  }

  /** The name of a container's pod, and of its secret. */
  static String podName(String containerId) {
    return dnsName("skiff-", containerId);
  }

  /** The name of an app's owner config map. */
  static String appConfigMapName(String app) {
    return dnsName("skiff-app-", app);
  }

  /** The name of a volume's claim. */
  static String claimName(String volume) {
    return dnsName("skiff-volume-", volume);
  }

  /** The app a container serves, as its spec's environment names it; empty for a pooled one. */
  static String appOf(ContainerSpec spec) {
    return spec.environment().getOrDefault(ContainerEnvironment.APP_NAME, "");
  }

  /** The labels of every object made for {@code spec}. */
  Map<String, String> labels(ContainerSpec spec) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(MANAGED_BY, SKIFF);
    labels.put(APP, labelValue(appOf(spec)));
    labels.put(
        FUNCTION,
        labelValue(spec.environment().getOrDefault(ContainerEnvironment.FUNCTION_NAME, "")));
    labels.put(CONTAINER, labelValue(spec.containerId()));
    labels.put(CONTROL_PLANE, labelValue(settings.controlPlaneId()));
    return labels;
  }

  /** The labels of an object not made for one container (a claim, the boot jar). */
  Map<String, String> sharedLabels() {
    return Map.of(MANAGED_BY, SKIFF, CONTROL_PLANE, labelValue(settings.controlPlaneId()));
  }

  /** An owner reference to {@code owner} (the app's config map), for garbage collection. */
  static OwnerReference ownedBy(ConfigMap owner) {
    return new OwnerReferenceBuilder()
        .withApiVersion("v1")
        .withKind("ConfigMap")
        .withName(owner.getMetadata().getName())
        .withUid(owner.getMetadata().getUid())
        .build();
  }

  /** An app's owner config map: deleting it deletes every pod and secret of the app. */
  ConfigMap appConfigMap(String app) {
    Map<String, String> labels = new LinkedHashMap<>(sharedLabels());
    labels.put(APP, labelValue(app));
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(appConfigMapName(app))
        .withNamespace(settings.namespace())
        .withLabels(labels)
        .endMetadata()
        .withData(Map.of("app", app))
        .build();
  }

  /** The config map that holds the pod boot jar, mounted by every pod at {@value #BOOT_DIR}. */
  ConfigMap bootConfigMap(byte[] jar) {
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(BOOT_CONFIG_MAP)
        .withNamespace(settings.namespace())
        .withLabels(sharedLabels())
        .endMetadata()
        .withBinaryData(Map.of(BOOT_JAR, Base64.getEncoder().encodeToString(jar)))
        .build();
  }

  /** A volume's claim: read-write by many nodes' pods at once. */
  PersistentVolumeClaim claim(String volume) {
    PersistentVolumeClaimBuilder claim =
        new PersistentVolumeClaimBuilder()
            .withNewMetadata()
            .withName(claimName(volume))
            .withNamespace(settings.namespace())
            .withLabels(sharedLabels())
            .addToAnnotations("skiff.dev/volume", volume)
            .endMetadata()
            .withNewSpec()
            .withAccessModes("ReadWriteMany")
            .withNewResources()
            .addToRequests("storage", new Quantity(settings.volumeSize()))
            .endResources()
            .endSpec();
    settings.storageClass().ifPresent(c -> claim.editSpec().withStorageClassName(c).endSpec());
    return claim.build();
  }

  /** The secret of a container's token and secret values, owned like its pod. */
  Secret secret(ContainerSpec spec, Optional<OwnerReference> owner) {
    Map<String, String> data = new LinkedHashMap<>();
    secretVariables(spec)
        .forEach(
            (key, name) ->
                data.put(
                    key,
                    Base64.getEncoder()
                        .encodeToString(
                            spec.environment().get(name).getBytes(StandardCharsets.UTF_8))));
    return new SecretBuilder()
        .withMetadata(meta(podName(spec.containerId()), labels(spec), owner))
        .withType("Opaque")
        .withData(data)
        .build();
  }

  /** The variables that go through the secret, by their key in it. */
  private static Map<String, String> secretVariables(ContainerSpec spec) {
    Map<String, String> byKey = new LinkedHashMap<>();
    int i = 0;
    for (String name : spec.environment().keySet().stream().sorted().toList()) {
      if (!CLEAR.contains(name)) {
        byKey.put(SECRET_KEY.matcher(name).matches() ? name : "variable-" + i, name);
        i++;
      }
    }
    return byKey;
  }

  /**
   * A container's pod: the configured image (or its function's registry image, with that image's
   * recipe environment and working directory; or for a built JDK image, the configured JDK image of
   * its version, with its recipe environment, its jars after the spec's, and its file tree unpacked
   * under {@value #IMAGE_DIR}, where its working directory is) runs the pod boot class, which
   * fetches the jars (and the file tree) and runs the container entrypoint; owned by the app's
   * config map.
   *
   * @param shipped the built image the spec names, as the pod fetches it; empty when it names none
   * @param gpuProducts the GPU product label values each GPU choice matches, in the choices' order
   * @throws ContainerStartException if the classpath names host paths, which no pod can see
   */
  Pod pod(
      ContainerSpec spec,
      Optional<ShippedImage> shipped,
      Optional<OwnerReference> owner,
      List<List<String>> gpuProducts) {
    String name = podName(spec.containerId());
    List<String> command = new ArrayList<>();
    command.add("java");
    command.addAll(jvmOptions);
    if (spec.resources().memoryLimitMib() > 0) {
      command.add("-XX:MaxRAMPercentage=75"); // the heap's share of the limit, as the local backend
    }
    command.add("-cp");
    command.add(BOOT_DIR + "/" + BOOT_JAR);
    command.add(BOOT_CLASS);

    List<EnvVar> env = new ArrayList<>();
    // The image's recipe variables, under the container's own (as on the local backend).
    spec
        .registryImage()
        .map(ContainerSpec.RegistryImage::environment)
        .or(() -> shipped.map(ShippedImage::env))
        .orElse(Map.of())
        .entrySet()
        .stream()
        .filter(e -> !spec.environment().containsKey(e.getKey()))
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> env.add(new EnvVar(e.getKey(), e.getValue(), null)));
    spec.environment().keySet().stream()
        .filter(CLEAR::contains)
        .sorted()
        .forEach(k -> env.add(new EnvVar(k, spec.environment().get(k), null)));
    env.add(new EnvVar(JAR_URL, settings.jarUrl(), null));
    env.add(new EnvVar(CLASSPATH, classpath(spec, shipped), null));
    shipped
        .flatMap(ShippedImage::files)
        .ifPresent(
            files -> {
              env.add(new EnvVar(IMAGE_FILES, files, null));
              env.add(new EnvVar(IMAGE_FILES_DIR, IMAGE_DIR, null));
            });
    env.add(new EnvVar(CONTROL_PLANE_ADDRESS, settings.controlPlane(), null));
    env.add(new EnvVar(CONTROL_PLANE_CERT, settings.certificatePem(), null));
    secretVariables(spec)
        .forEach(
            (key, variable) ->
                env.add(
                    new EnvVarBuilder()
                        .withName(variable)
                        .withNewValueFrom()
                        .withNewSecretKeyRef(key, name, false)
                        .endValueFrom()
                        .build()));

    List<VolumeMount> mounts = new ArrayList<>();
    List<Volume> volumes = new ArrayList<>();
    mounts.add(
        new VolumeMountBuilder()
            .withName("boot")
            .withMountPath(BOOT_DIR)
            .withReadOnly(true)
            .build());
    volumes.add(
        new VolumeBuilder()
            .withName("boot")
            .withNewConfigMap()
            .withName(BOOT_CONFIG_MAP)
            .endConfigMap()
            .build());
    mounts.add(new VolumeMountBuilder().withName("cache").withMountPath(CACHE_DIR).build());
    volumes.add(new VolumeBuilder().withName("cache").withNewEmptyDir().endEmptyDir().build());
    if (shipped.flatMap(ShippedImage::files).isPresent()) {
      mounts.add(new VolumeMountBuilder().withName("image").withMountPath(IMAGE_DIR).build());
      volumes.add(new VolumeBuilder().withName("image").withNewEmptyDir().endEmptyDir().build());
    }
    int v = 0;
    for (var m : spec.volumes().entrySet()) {
      String volumeName = "volume-" + v++;
      mounts.add(new VolumeMountBuilder().withName(volumeName).withMountPath(m.getKey()).build());
      volumes.add(
          new VolumeBuilder()
              .withName(volumeName)
              .withNewPersistentVolumeClaim()
              .withClaimName(claimName(m.getValue()))
              .endPersistentVolumeClaim()
              .build());
    }

    Resources r = spec.resources();
    Map<String, Quantity> requests = new LinkedHashMap<>();
    Map<String, Quantity> limits = new LinkedHashMap<>();
    if (r.milliCpuRequest() > 0) {
      requests.put("cpu", new Quantity(r.milliCpuRequest() + "m"));
    }
    if (r.memoryRequestMib() > 0) {
      requests.put("memory", new Quantity(r.memoryRequestMib() + "Mi"));
    }
    if (r.milliCpuLimit() > 0) {
      limits.put("cpu", new Quantity(r.milliCpuLimit() + "m"));
    }
    if (r.memoryLimitMib() > 0) {
      limits.put("memory", new Quantity(r.memoryLimitMib() + "Mi"));
    }
    if (!r.gpus().isEmpty()) {
      limits.put(
          NodeInventory.GPU_RESOURCE, new Quantity(Integer.toString(r.gpus().get(0).count())));
    }

    return new PodBuilder()
        .withMetadata(meta(name, labels(spec), owner))
        .withNewSpec()
        .withRestartPolicy("Never")
        .withAutomountServiceAccountToken(false)
        .withTerminationGracePeriodSeconds(settings.stopGrace().toSeconds())
        .withAffinity(affinity(r, gpuProducts).orElse(null))
        .addNewContainer()
        .withName(CONTAINER_NAME)
        .withImage(image(spec, shipped, settings))
        .withWorkingDir(workingDir(spec, shipped).orElse(null))
        .withCommand(command)
        .withTerminationMessagePolicy("FallbackToLogsOnError")
        .withEnv(env)
        .withVolumeMounts(mounts)
        .withNewResources()
        .withRequests(requests)
        .withLimits(limits)
        .endResources()
        .endContainer()
        .withVolumes(volumes)
        .endSpec()
        .build();
  }

  /**
   * The image a container's pod runs: its function's registry image, the configured JDK image of
   * its built image's version, else the configured one.
   */
  static String image(
      ContainerSpec spec, Optional<ShippedImage> shipped, KubernetesSettings settings) {
    return spec.registryImage()
        .map(ContainerSpec.RegistryImage::reference)
        .or(() -> shipped.map(s -> settings.jdkImage(s.javaFeature())))
        .orElse(settings.image());
  }

  /**
   * The working directory of a container's pod: its registry image's, or for a built image its
   * working directory in the unpacked file tree (the container runtime creates it before the pod
   * boot fills the tree); empty for the image's own.
   */
  private static Optional<String> workingDir(ContainerSpec spec, Optional<ShippedImage> shipped) {
    return spec.registryImage()
        .flatMap(ContainerSpec.RegistryImage::workdir)
        .or(
            () ->
                shipped
                    .filter(s -> s.files().isPresent())
                    .map(s -> s.workdir().isEmpty() ? IMAGE_DIR : IMAGE_DIR + "/" + s.workdir()));
  }

  /** The classpath, then the built image's jars, as the jars' digests joined by ',', in order. */
  private static String classpath(ContainerSpec spec, Optional<ShippedImage> shipped) {
    List<String> digests = new ArrayList<>();
    for (ClasspathEntry e : spec.classpath()) {
      switch (e) {
        case ClasspathEntry.Jar jar -> digests.add(jar.sha256());
        case ClasspathEntry.HostPath path ->
            throw new ContainerStartException(
                "classpath entry "
                    + path.path()
                    + " is a path on the control plane's machine, which no pod can see; the"
                    + " Kubernetes backend runs only stored jars (deploy the app to the server)");
      }
    }
    shipped.ifPresent(s -> digests.addAll(s.jars()));
    return String.join(",", digests);
  }

  /**
   * Node affinity for GPUs (a node with one of the fallback list's products, the first preferred
   * most) and regions (a node in one of them), or empty when the request has neither.
   */
  static Optional<Affinity> affinity(Resources r, List<List<String>> gpuProducts) {
    List<NodeSelectorRequirement> required = new ArrayList<>();
    List<PreferredSchedulingTerm> preferred = new ArrayList<>();
    if (!r.gpus().isEmpty()) {
      required.add(
          new NodeSelectorRequirementBuilder()
              .withKey(NodeInventory.GPU_PRODUCT)
              .withOperator("In")
              .withValues(gpuProducts.stream().flatMap(List::stream).distinct().toList())
              .build());
      int n = gpuProducts.size();
      for (int i = 0; n > 1 && i < n; i++) {
        preferred.add(
            new PreferredSchedulingTermBuilder()
                .withWeight(Math.max(1, 100 * (n - i) / n))
                .withNewPreference()
                .addNewMatchExpression()
                .withKey(NodeInventory.GPU_PRODUCT)
                .withOperator("In")
                .withValues(gpuProducts.get(i))
                .endMatchExpression()
                .endPreference()
                .build());
      }
    }
    if (!r.regions().isEmpty()) {
      required.add(
          new NodeSelectorRequirementBuilder()
              .withKey(NodeInventory.REGION)
              .withOperator("In")
              .withValues(r.regions())
              .build());
    }
    if (required.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new AffinityBuilder()
            .withNewNodeAffinity()
            .withNewRequiredDuringSchedulingIgnoredDuringExecution()
            .withNodeSelectorTerms(
                new NodeSelectorTermBuilder().withMatchExpressions(required).build())
            .endRequiredDuringSchedulingIgnoredDuringExecution()
            .withPreferredDuringSchedulingIgnoredDuringExecution(preferred)
            .endNodeAffinity()
            .build());
  }

  /** The GPU product label values of each choice of {@code r}, in order. */
  static List<List<String>> gpuProducts(Resources r, NodeInventory inventory) {
    return r.gpus().stream()
        .map(ResourceRequest.GpuChoice::type)
        .map(inventory::productsNamed)
        .toList();
  }

  private ObjectMeta meta(String name, Map<String, String> labels, Optional<OwnerReference> owner) {
    ObjectMetaBuilder meta =
        new ObjectMetaBuilder()
            .withName(name)
            .withNamespace(settings.namespace())
            .withLabels(labels);
    owner.ifPresent(meta::addToOwnerReferences);
    return meta.build();
  }

  /** {@code prefix + raw} as a DNS label, with a hash of {@code raw} where it had to change. */
  static String dnsName(String prefix, String raw) {
    String name = prefix + raw;
    if (name.length() <= 63 && DNS_LABEL.matcher(name).matches()) {
      return name;
    }
    String cleaned = raw.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-");
    String suffix = "-" + hash(raw);
    int room = 63 - prefix.length() - suffix.length();
    cleaned = cleaned.substring(0, Math.min(room, cleaned.length())).replaceAll("^-+|-+$", "");
    return prefix + (cleaned.isEmpty() ? "x" : cleaned) + suffix;
  }

  /** {@code raw} as a label value, with a hash of it where it had to change. */
  static String labelValue(String raw) {
    if (raw.length() <= 63 && LABEL_VALUE.matcher(raw).matches()) {
      return raw;
    }
    String suffix = "-" + hash(raw);
    String cleaned = raw.replaceAll("[^-A-Za-z0-9_.]+", "-");
    cleaned = cleaned.substring(0, Math.min(63 - suffix.length(), cleaned.length()));
    cleaned = cleaned.replaceAll("^[^A-Za-z0-9]+", "");
    return (cleaned.isEmpty() ? "x" : cleaned) + suffix;
  }

  private static String hash(String raw) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(raw.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
