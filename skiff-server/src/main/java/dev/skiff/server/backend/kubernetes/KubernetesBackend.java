package dev.skiff.server.backend.kubernetes;

import dev.skiff.server.backend.Capabilities;
import dev.skiff.server.backend.Capability;
import dev.skiff.server.backend.ContainerBackend;
import dev.skiff.server.backend.ContainerHandle;
import dev.skiff.server.backend.ContainerSpec;
import dev.skiff.server.backend.ContainerStartException;
import dev.skiff.server.backend.ImageResolver;
import dev.skiff.server.backend.OutputListener;
import dev.skiff.server.backend.Placement;
import dev.skiff.server.backend.ResourceRequest;
import dev.skiff.server.backend.ShippedImage;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Containers as pods of a Kubernetes cluster, one pod per container in one namespace. Each pod runs
 * a registry image with a Java runtime and the pod boot class (from the {@code skiff-boot} config
 * map), which fetches the container's jars from the control plane and runs the container
 * entrypoint; the container's token and the function's secrets reach it through a Secret of its
 * own, never in clear in the pod. Volumes are claims ({@code skiff-volume-<name>}, ReadWriteMany)
 * created on first use. Every pod and secret of an app is owned by the app's config map ({@code
 * skiff-app-<app>}), so that deleting the config map deletes them through the cluster's garbage
 * collection.
 *
 * <p>Design: one informer watches the namespace's pods labelled with this control plane's id and
 * drives each {@link PodContainer} from the pods' status (no polling per pod); the node inventory,
 * which decides whether a request could ever fit ({@link NodeInventory#neverFits}), is listed at
 * start and every minute (the backend may list nodes, not watch them). {@link #start} creates the
 * secret and the pod, then waits a bounded while ({@link KubernetesSettings#startWait()}) for the
 * pod to run, to wait for a node, or to fail to pull its image, which it reports as a {@link
 * ContainerStartException}. A pod that ends is deleted with its secret. At start the backend
 * deletes the pods (and their secrets) that a previous run of this control plane left: the control
 * plane re-creates the containers it needs.
 *
 * <p>Thread-safe: the containers map is concurrent; everything else is set at construction.
 */
public final class KubernetesBackend implements ContainerBackend {
  private static final Logger LOG = System.getLogger(KubernetesBackend.class.getName());

  /** How often the node inventory is listed again. */
  private static final long NODE_REFRESH_SECONDS = 60;

  /** The longest piece of a log line handed on (at most 16 KiB of UTF-8). */
  private static final int MAX_LINE_CHARS = 4096;

  private final KubernetesClient client;
  private final KubernetesSettings settings;
  private final PodManifests manifests;
  private final ImageResolver images;
  // The cluster's scheduler places pods, so every request is placed at once and reserves nothing; a
  // pod that no node has room for yet stays pending, and its handle says why. A request that no
  // node
  // could ever hold is refused up front from the last node listing (replaced whole).
  private volatile NodeInventory inventory = NodeInventory.UNKNOWN;
  private final Placement placement = Placement.unbounded(r -> inventory.neverFits(r));
  private final Map<String, PodContainer> containers = new ConcurrentHashMap<>();
  // The deletions of ended pods and their secrets still under way: close() waits for them before
  // it closes the client, or a secret would be left in the cluster and a request cut off halfway.
  private final Set<CompletableFuture<Void>> cleanups = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService nodeRefresh;
  private final SharedIndexInformer<Pod> informer;
  private volatile boolean closed;

  /**
   * A backend on {@code client}'s cluster: creates the boot jar's config map, deletes what a
   * previous run left, lists the nodes and starts watching its pods.
   *
   * @param images the control plane's built images, which pods fetch
   * @param bootJar the pod boot jar's bytes
   */
  KubernetesBackend(
      KubernetesClient client,
      KubernetesSettings settings,
      List<String> containerJvmOptions,
      ImageResolver images,
      Supplier<byte[]> bootJar) {
    this.client = client;
    this.settings = settings;
    this.images = images;
    this.manifests = new PodManifests(settings, containerJvmOptions);
    publishBootJar(bootJar.get());
    removeLeftovers();
    refreshNodes();
    this.nodeRefresh =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("skiff-kubernetes-nodes").daemon().factory());
    nodeRefresh.scheduleWithFixedDelay(
        this::refreshNodes, NODE_REFRESH_SECONDS, NODE_REFRESH_SECONDS, TimeUnit.SECONDS);
    this.informer =
        client
            .pods()
            .inNamespace(settings.namespace())
            .withLabel(
                PodManifests.CONTROL_PLANE, PodManifests.labelValue(settings.controlPlaneId()))
            .inform(new PodEvents(), 0);
  }

  /** Creates the boot jar's config map, or updates it when it holds other bytes. */
  private void publishBootJar(byte[] jar) {
    ConfigMap wanted = manifests.bootConfigMap(jar);
    var resource =
        client
            .configMaps()
            .inNamespace(settings.namespace())
            .withName(PodManifests.BOOT_CONFIG_MAP);
    ConfigMap existing = resource.get();
    if (existing == null) {
      client.configMaps().inNamespace(settings.namespace()).resource(wanted).create();
    } else if (!wanted.getBinaryData().equals(existing.getBinaryData())) {
      existing.setBinaryData(wanted.getBinaryData());
      client.configMaps().inNamespace(settings.namespace()).resource(existing).update();
    }
  }

  /** Deletes the pods, and their secrets, that an earlier run of this control plane left. */
  private void removeLeftovers() {
    List<Pod> left =
        client
            .pods()
            .inNamespace(settings.namespace())
            .withLabel(
                PodManifests.CONTROL_PLANE, PodManifests.labelValue(settings.controlPlaneId()))
            .list()
            .getItems();
    for (Pod pod : left) {
      String name = pod.getMetadata().getName();
      LOG.log(Level.INFO, "deleting pod {0}, left by an earlier run of this control plane", name);
      client.pods().inNamespace(settings.namespace()).withName(name).withGracePeriod(0).delete();
      client.secrets().inNamespace(settings.namespace()).withName(name).delete();
    }
  }

  /**
   * The built image {@code id} as its pods fetch it from the control plane.
   *
   * @throws ContainerStartException if there is no such image, or it cannot run in a pod
   */
  private ShippedImage ship(String id) {
    try {
      return images
          .ship(id)
          .orElseThrow(
              () ->
                  new ContainerStartException(
                      "image " + id + " is not built on this control plane (or was removed)"));
    } catch (IllegalArgumentException e) {
      throw new ContainerStartException(e.getMessage() + "; the Kubernetes backend runs pods");
    } catch (UncheckedIOException e) {
      throw new ContainerStartException(e.getMessage(), e);
    }
  }

  private void refreshNodes() {
    try {
      inventory = NodeInventory.of(client.nodes().list().getItems());
    } catch (KubernetesClientException e) {
      LOG.log(Level.WARNING, "could not list the cluster's nodes: {0}", e.getMessage());
    }
  }

  @Override
  public ContainerHandle start(ContainerSpec spec, OutputListener output) {
    if (closed) {
      throw new ContainerStartException("the Kubernetes backend is closed");
    }
    Optional<ShippedImage> shipped = spec.image().map(this::ship);
    ResourceRequest request =
        new ResourceRequest(0, 0, 0, 0, spec.resources().gpus(), spec.resources().regions());
    NodeInventory.mixedGpuCounts(request)
        .ifPresent(
            why -> {
              throw new ContainerStartException(why);
            });
    Optional<OwnerReference> owner = appOwner(PodManifests.appOf(spec));
    Pod pod =
        manifests.pod(spec, shipped, owner, PodManifests.gpuProducts(spec.resources(), inventory));
    spec.volumes().values().forEach(this::ensureClaim);
    String name = pod.getMetadata().getName();
    PodContainer container =
        new PodContainer(
            spec.containerId(),
            name,
            PodManifests.image(spec, shipped, settings),
            settings.stopGrace().toSeconds(),
            grace -> deletePod(name, grace));
    containers.put(name, container);
    try {
      client
          .secrets()
          .inNamespace(settings.namespace())
          .resource(manifests.secret(spec, owner))
          .create();
      client.pods().inNamespace(settings.namespace()).resource(pod).create();
    } catch (KubernetesClientException e) {
      containers.remove(name);
      deleteSecret(name);
      throw new ContainerStartException("could not create pod " + name + ": " + e.getMessage(), e);
    }
    try {
      container.settled().get(settings.startWait().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      containers.remove(name);
      deletePod(name, 0);
      deleteSecret(name);
      throw e.getCause() instanceof ContainerStartException cse
          ? cse
          : new ContainerStartException("pod " + name + " did not start", e.getCause());
    } catch (TimeoutException e) {
      // Still pulling its image or starting: it is created, which is all start() promises.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    container.running().thenRun(() -> followLog(container, output));
    CompletableFuture<Void> cleaned =
        container
            .onExit()
            .handle(
                (code, failure) -> {
                  containers.remove(name);
                  deletePod(name, 0);
                  deleteSecret(name);
                  return null;
                });
    cleanups.add(cleaned);
    cleaned.whenComplete((ok, failure) -> cleanups.remove(cleaned));
    return container;
  }

  /**
   * The owner reference to the app's config map, which it creates on first use. Read again for each
   * pod, never cached: a config map deleted (to delete the app's pods) and created again has a new
   * uid, and a pod owned by a uid that no longer exists would be collected at once.
   */
  private Optional<OwnerReference> appOwner(String app) {
    if (app.isEmpty()) {
      return Optional.empty();
    }
    String name = PodManifests.appConfigMapName(app);
    try {
      ConfigMap owner = client.configMaps().inNamespace(settings.namespace()).withName(name).get();
      if (owner == null) {
        owner =
            client
                .configMaps()
                .inNamespace(settings.namespace())
                .resource(manifests.appConfigMap(app))
                .create();
      }
      return Optional.of(PodManifests.ownedBy(owner));
    } catch (KubernetesClientException e) {
      throw new ContainerStartException(
          "could not create config map " + name + " for app '" + app + "': " + e.getMessage(), e);
    }
  }

  /**
   * Creates the volume's claim unless it exists (looked up for each pod: someone may delete it).
   */
  private void ensureClaim(String volume) {
    String name = PodManifests.claimName(volume);
    try {
      if (client.persistentVolumeClaims().inNamespace(settings.namespace()).withName(name).get()
          == null) {
        client
            .persistentVolumeClaims()
            .inNamespace(settings.namespace())
            .resource(manifests.claim(volume))
            .create();
      }
    } catch (KubernetesClientException e) {
      throw new ContainerStartException(
          "could not create volume claim "
              + name
              + " for volume '"
              + volume
              + "': "
              + e.getMessage(),
          e);
    }
  }

  private void deletePod(String name, long graceSeconds) {
    try {
      client
          .pods()
          .inNamespace(settings.namespace())
          .withName(name)
          .withGracePeriod(graceSeconds)
          .delete();
    } catch (KubernetesClientException e) {
      LOG.log(Level.WARNING, "could not delete pod {0}: {1}", name, e.getMessage());
    }
  }

  private void deleteSecret(String name) {
    try {
      client.secrets().inNamespace(settings.namespace()).withName(name).delete();
    } catch (KubernetesClientException e) {
      LOG.log(Level.WARNING, "could not delete secret {0}: {1}", name, e.getMessage());
    }
  }

  /**
   * Hands on each line of the pod's log until it ends. The log merges stdout and stderr, so every
   * line arrives as stdout; a long line in pieces, as {@link OutputListener} says.
   */
  private void followLog(PodContainer container, OutputListener output) {
    Thread.ofVirtual()
        .name("skiff-log-" + container.podName())
        .start(
            () -> {
              try (LogWatch watch =
                      client
                          .pods()
                          .inNamespace(settings.namespace())
                          .withName(container.podName())
                          .inContainer(PodManifests.CONTAINER_NAME)
                          .watchLog();
                  BufferedReader reader =
                      new BufferedReader(
                          new InputStreamReader(watch.getOutput(), StandardCharsets.UTF_8))) {
                container.onExit().whenComplete((code, failure) -> watch.close());
                StringBuilder line = new StringBuilder();
                int c;
                while ((c = reader.read()) >= 0) {
                  if (c == '\n') {
                    output.line(false, line.toString());
                    line.setLength(0);
                  } else if (c != '\r') {
                    line.append((char) c);
                    if (line.length() == MAX_LINE_CHARS) {
                      output.line(false, line + "[skiff: line continues]");
                      line.setLength(0);
                    }
                  }
                }
                if (!line.isEmpty()) {
                  output.line(false, line.toString());
                }
              } catch (IOException | KubernetesClientException e) {
                LOG.log(
                    Level.DEBUG, "log of pod {0} ended: {1}", container.podName(), e.getMessage());
              }
            });
  }

  /** {@code host:port} of the control plane's TCP listener for containers: pods dial it. */
  @Override
  public String advertisedEndpoint(Path controlSocket) {
    return settings.controlPlane();
  }

  /**
   * False: a pod's resources, node affinity, volumes and labels are its function's, fixed when it
   * is created, so no pod is started ahead for whichever function comes.
   */
  @Override
  public boolean startsGenericContainers() {
    return false;
  }

  @Override
  public Placement placement() {
    return placement;
  }

  /**
   * Volumes, GPUs, secrets, registry images and built JDK images (whose jars and files pods fetch);
   * no root file system of a Debian image (it is made on the control plane's machine), and no
   * sandbox in Skiff's sense (a pod is isolated from the control plane's machine, but its network
   * is not blocked, and it sees no host files at absolute paths).
   */
  @Override
  public Capabilities capabilities() {
    return new Capabilities(
        Map.of(
            Capability.ROOT_FS,
            "the Kubernetes backend runs pods on registry images; a Debian image's root file"
                + " system is made on the control plane's machine, which pods do not see (use"
                + " Image.jdk(..) or Image.fromRegistry(..))",
            Capability.SANDBOX,
            "the Kubernetes backend runs pods, which do not see the control plane's files and"
                + " whose network it does not block"));
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<PodContainer> running = List.copyOf(containers.values());
    running.forEach(PodContainer::stop);
    // Every pod that ended, before or now, is deleted with its secret before the client closes: a
    // cleanup is registered when its pod starts, so none can be missed here.
    if (!awaitCleanups(settings.stopGrace().toSeconds() + 5)) {
      running.forEach(PodContainer::kill);
      awaitCleanups(5);
    }
    informer.close();
    nodeRefresh.shutdownNow();
    client.close();
  }

  /** Waits up to {@code seconds} for the cleanups under way; whether they all finished. */
  private boolean awaitCleanups(long seconds) {
    try {
      CompletableFuture.allOf(cleanups.toArray(CompletableFuture[]::new))
          .get(seconds, TimeUnit.SECONDS);
      return true;
    } catch (ExecutionException | TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Routes the informer's pod events to their containers. */
  private final class PodEvents implements ResourceEventHandler<Pod> {
    @Override
    public void onAdd(Pod pod) {
      route(pod).ifPresent(c -> c.observe(pod));
    }

    @Override
    public void onUpdate(Pod before, Pod pod) {
      route(pod).ifPresent(c -> c.observe(pod));
    }

    @Override
    public void onDelete(Pod pod, boolean finalStateUnknown) {
      route(pod).ifPresent(c -> c.deleted(pod));
    }

    private Optional<PodContainer> route(Pod pod) {
      return Optional.ofNullable(containers.get(pod.getMetadata().getName()));
    }
  }

  @Override
  public String toString() {
    return "kubernetes backend (namespace "
        + settings.namespace()
        + ", control plane "
        + settings.controlPlaneId()
        + ", "
        + containers.size()
        + " pods)";
  }
}
