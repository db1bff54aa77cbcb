package dev.skiff.e2e.kube;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A test-only node agent: it watches the pods of a namespace on a Kubernetes API (fabric8's mock
 * server) and runs each as a local process, as a kubelet would run its container, updating the
 * pod's status as a kubelet does. It is what lets the Kubernetes backend's tests run real
 * containers without a cluster; what it simulates is listed in docs/kubernetes.md.
 *
 * <p>A pod's one container runs its {@code command} and {@code args} with its environment (plain
 * values, values from Secrets, the pod IP), in its working directory (made if missing, as runc
 * does), in a bubblewrap sandbox whose file system is the host's system directories read-only plus
 * the pod's volumes at their mount paths: a ConfigMap or Secret volume as a directory of its files,
 * an emptyDir as an empty directory, a claim as a directory shared by every pod that mounts the
 * claim. The network is the host's (the control plane is on loopback). The image is not pulled: the
 * host's JDK is on the {@code PATH}, whatever the image.
 *
 * <p>Status: Running once the process started (pod IP 127.0.0.1); Succeeded or Failed when it
 * exits, with its exit code; a deleted pod's process is killed. {@link #failNextWith} makes the
 * next pod of an image fail the way a kubelet reports a pull error, and {@link #killForMemory} ends
 * a running pod as the kernel's OOM killer would (exit 137, reason OOMKilled). Thread-safe.
 */
public final class PodAgent implements AutoCloseable {
  private final KubernetesClient client;
  private final String namespace;
  private final Path root;
  private final Map<String, Process> running = new ConcurrentHashMap<>();
  private final Map<String, String> pullErrors = new ConcurrentHashMap<>();
  private final Set<String> started = ConcurrentHashMap.newKeySet();
  private final Map<String, StringBuilder> logs = new ConcurrentHashMap<>();
  private Watch watch;

  /**
   * An agent for the pods of {@code namespace}, keeping its directories under {@code root} (which
   * the caller deletes).
   */
  public PodAgent(KubernetesClient client, String namespace, Path root) {
    this.client = client;
    this.namespace = namespace;
    this.root = root;
  }

  /** Starts watching; pods that exist already are run too. */
  public PodAgent start() {
    client.pods().inNamespace(namespace).list().getItems().forEach(this::seen);
    watch =
        client
            .pods()
            .inNamespace(namespace)
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, Pod pod) {
                    switch (action) {
                      case ADDED, MODIFIED -> seen(pod);
                      case DELETED -> deleted(pod);
                      default -> {}
                    }
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                });
    return this;
  }

  /**
   * The next pod whose image is {@code image} fails to pull with {@code reason}, e.g. ErrImagePull.
   */
  public void failNextWith(String image, String reason) {
    pullErrors.put(image, reason);
  }

  /** Every pod of {@code image} fails to pull with {@code reason} from now on, until cleared. */
  public void failPullsOf(String image, String reason) {
    pullErrors.put(image, "always:" + reason);
  }

  /** Pods of every image pull again. */
  public void clearPullFailures() {
    pullErrors.clear();
  }

  /** Ends a running pod as the OOM killer would: its process killed, exit 137, OOMKilled. */
  public void killForMemory(String pod) {
    Process p = running.get(pod);
    if (p != null) {
      started.add(pod + "#oom");
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }

  /** What a pod's process wrote (stdout and stderr), as a kubelet keeps it for the log API. */
  public String log(String pod) {
    StringBuilder b = logs.get(pod);
    if (b == null) {
      return "";
    }
    synchronized (b) {
      return b.toString();
    }
  }

  /** The names of the pods that have run a process. */
  public Set<String> loggedPods() {
    return Set.copyOf(logs.keySet());
  }

  /** The names of the pods whose process runs now. */
  public Set<String> runningPods() {
    return Set.copyOf(running.keySet());
  }

  private void seen(Pod pod) {
    String name = pod.getMetadata().getName();
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      deleted(pod);
      return;
    }
    if (!started.add(name)) {
      return;
    }
    Container c = pod.getSpec().getContainers().get(0);
    Optional<String> unschedulable = unschedulable(pod, c);
    if (unschedulable.isPresent()) {
      started.remove(name); // tried again when the pod changes
      if (!alreadySaid(pod, unschedulable.get())) {
        setScheduling(name, unschedulable.get());
      }
      return;
    }
    String pullError = c.getImage() == null ? null : pullErrors.get(c.getImage());
    if (pullError != null && pullError.startsWith("always:")) {
      pullError = pullError.substring("always:".length());
    } else if (pullError != null) {
      pullErrors.remove(c.getImage());
    }
    if (pullError != null) {
      setStatus(
          name,
          "Pending",
          waiting(c.getName(), pullError, "Failed to pull image \"" + c.getImage() + "\""),
          null);
      return;
    }
    try {
      Process p = launch(pod, c);
      running.put(name, p);
      setStatus(name, "Running", running(c.getName()), "127.0.0.1");
      p.onExit().thenRun(() -> exited(name, c.getName(), p.exitValue()));
    } catch (IOException | RuntimeException e) {
      setStatus(
          name,
          "Failed",
          terminated(c.getName(), 128, "StartError", String.valueOf(e.getMessage())),
          null);
    }
  }

  private void deleted(Pod pod) {
    Process p = running.remove(pod.getMetadata().getName());
    if (p != null) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }

  private void exited(String name, String container, int code) {
    if (running.remove(name) == null) {
      return; // deleted: the pod object is gone
    }
    boolean oom = started.remove(name + "#oom");
    setStatus(
        name,
        code == 0 ? "Succeeded" : "Failed",
        terminated(
            container,
            oom ? 137 : code,
            oom ? "OOMKilled" : code == 0 ? "Completed" : "Error",
            lastLine(name)),
        "127.0.0.1");
  }

  private String lastLine(String pod) {
    List<String> lines = log(pod).lines().toList();
    return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
  }

  // ------------------------------------------------------------------------------ the process

  private Process launch(Pod pod, Container c) throws IOException {
    String name = pod.getMetadata().getName();
    Path dir = Files.createDirectories(root.resolve("pods").resolve(name));
    Map<String, Path> volumes = new HashMap<>();
    for (Volume v : Optional.ofNullable(pod.getSpec().getVolumes()).orElse(List.of())) {
      volumes.put(v.getName(), materialize(v, dir));
    }
    List<String> command = new ArrayList<>();
    command.addAll(
        List.of(
            "bwrap",
            "--die-with-parent",
            "--tmpfs",
            "/",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--tmpfs",
            "/tmp"));
    for (String d : List.of("/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc", "/opt")) {
      if (Files.exists(Path.of(d))) {
        command.addAll(List.of("--ro-bind", d, d));
      }
    }
    Path javaHome = Path.of(System.getProperty("java.home"));
    command.addAll(List.of("--ro-bind", javaHome.toString(), javaHome.toString()));
    for (VolumeMount m : Optional.ofNullable(c.getVolumeMounts()).orElse(List.of())) {
      Path source = volumes.get(m.getName());
      if (source == null) {
        throw new IllegalArgumentException(
            "pod " + name + " mounts volume " + m.getName() + ", which it does not declare");
      }
      boolean readOnly = Boolean.TRUE.equals(m.getReadOnly());
      command.addAll(
          List.of(readOnly ? "--ro-bind" : "--bind", source.toString(), m.getMountPath()));
    }
    if (c.getWorkingDir() != null) {
      // As a container runtime does: the working directory is made if the image lacks it.
      command.addAll(List.of("--dir", c.getWorkingDir(), "--chdir", c.getWorkingDir()));
    }
    Map<String, String> env = environment(pod, c);
    command.add("--clearenv");
    env.forEach((k, v) -> command.addAll(List.of("--setenv", k, v)));
    command.addAll(List.of("--setenv", "PATH", javaHome.resolve("bin") + ":/usr/bin:/bin"));
    command.addAll(Optional.ofNullable(c.getCommand()).orElse(List.of()));
    command.addAll(Optional.ofNullable(c.getArgs()).orElse(List.of()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    StringBuilder log = new StringBuilder();
    logs.put(name, log);
    Thread.ofVirtual()
        .start(
            () -> {
              try (var r = p.inputReader(StandardCharsets.UTF_8)) {
                String line;
                while ((line = r.readLine()) != null) {
                  synchronized (log) {
                    log.append(line).append('\n');
                  }
                }
              } catch (IOException e) {
                // The process ended.
              }
            });
    return p;
  }

  private Path materialize(Volume v, Path podDir) throws IOException {
    if (v.getConfigMap() != null) {
      ConfigMap cm =
          client.configMaps().inNamespace(namespace).withName(v.getConfigMap().getName()).get();
      Path d = Files.createDirectories(podDir.resolve("volumes").resolve(v.getName()));
      if (cm != null) {
        write(d, cm.getData(), s -> s.getBytes(StandardCharsets.UTF_8));
        write(d, cm.getBinaryData(), s -> Base64.getDecoder().decode(s));
      }
      return d;
    }
    if (v.getSecret() != null) {
      Secret s =
          client.secrets().inNamespace(namespace).withName(v.getSecret().getSecretName()).get();
      Path d = Files.createDirectories(podDir.resolve("volumes").resolve(v.getName()));
      if (s != null) {
        write(d, s.getData(), x -> Base64.getDecoder().decode(x));
        write(d, s.getStringData(), x -> x.getBytes(StandardCharsets.UTF_8));
      }
      return d;
    }
    if (v.getPersistentVolumeClaim() != null) {
      return Files.createDirectories(
          root.resolve("claims").resolve(v.getPersistentVolumeClaim().getClaimName()));
    }
    // emptyDir, and anything else: an empty directory of the pod's own.
    return Files.createDirectories(podDir.resolve("volumes").resolve(v.getName()));
  }

  private static void write(Path dir, Map<String, String> files, Function<String, byte[]> decode)
      throws IOException {
    if (files == null) {
      return;
    }
    for (var e : files.entrySet()) {
      Files.write(dir.resolve(e.getKey()), decode.apply(e.getValue()));
    }
  }

  private Map<String, String> environment(Pod pod, Container c) {
    Map<String, String> env = new LinkedHashMap<>();
    for (EnvVar e : Optional.ofNullable(c.getEnv()).orElse(List.of())) {
      if (e.getValue() != null) {
        env.put(e.getName(), e.getValue());
      } else if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
        var ref = e.getValueFrom().getSecretKeyRef();
        Secret s = client.secrets().inNamespace(namespace).withName(ref.getName()).get();
        if (s == null) {
          throw new IllegalStateException(
              "pod " + pod.getMetadata().getName() + ": secret " + ref.getName() + " not found");
        }
        String value =
            s.getData() != null && s.getData().containsKey(ref.getKey())
                ? new String(
                    Base64.getDecoder().decode(s.getData().get(ref.getKey())),
                    StandardCharsets.UTF_8)
                : Optional.ofNullable(s.getStringData()).map(m -> m.get(ref.getKey())).orElse(null);
        if (value == null) {
          throw new IllegalStateException(
              "pod "
                  + pod.getMetadata().getName()
                  + ": no key "
                  + ref.getKey()
                  + " in secret "
                  + ref.getName());
        }
        env.put(e.getName(), value);
      } else if (e.getValueFrom() != null && e.getValueFrom().getFieldRef() != null) {
        env.put(e.getName(), "127.0.0.1"); // status.podIP: the pods share the host's network
      } else {
        env.put(e.getName(), "");
      }
    }
    return env;
  }

  // ------------------------------------------------------------------------------ scheduling

  /**
   * Why no declared node can run the pod now, as the scheduler would say, if none can: its required
   * node affinity (In expressions) and its resource requests against each node's labels and
   * allocatable resources. Without declared nodes, every pod fits.
   */
  private Optional<String> unschedulable(Pod pod, Container c) {
    List<Node> nodes = client.nodes().list().getItems();
    if (nodes.isEmpty()) {
      return Optional.empty();
    }
    int byAffinity = 0;
    int byResources = 0;
    for (Node n : nodes) {
      if (!matchesAffinity(pod, n)) {
        byAffinity++;
      } else if (!fits(c, n)) {
        byResources++;
      } else {
        return Optional.empty();
      }
    }
    List<String> why = new ArrayList<>();
    if (byAffinity > 0) {
      why.add(byAffinity + " node(s) didn't match Pod's node affinity/selector");
    }
    if (byResources > 0) {
      why.add(byResources + " Insufficient resources");
    }
    return Optional.of(
        "0/" + nodes.size() + " nodes are available: " + String.join(", ", why) + ".");
  }

  private static boolean alreadySaid(Pod pod, String message) {
    return pod.getStatus() != null
        && Optional.ofNullable(pod.getStatus().getConditions()).orElse(List.of()).stream()
            .anyMatch(
                c ->
                    "PodScheduled".equals(c.getType())
                        && "False".equals(c.getStatus())
                        && message.equals(c.getMessage()));
  }

  private static boolean matchesAffinity(Pod pod, Node n) {
    var affinity = pod.getSpec().getAffinity();
    if (affinity == null
        || affinity.getNodeAffinity() == null
        || affinity.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() == null) {
      return true;
    }
    Map<String, String> labels = Optional.ofNullable(n.getMetadata().getLabels()).orElse(Map.of());
    var terms =
        affinity
            .getNodeAffinity()
            .getRequiredDuringSchedulingIgnoredDuringExecution()
            .getNodeSelectorTerms();
    for (var term : terms) { // terms are ORed, expressions ANDed
      boolean all = true;
      for (var e : Optional.ofNullable(term.getMatchExpressions()).orElse(List.of())) {
        String value = labels.get(e.getKey());
        boolean ok =
            switch (e.getOperator()) {
              case "In" -> value != null && e.getValues().contains(value);
              case "NotIn" -> value == null || !e.getValues().contains(value);
              case "Exists" -> value != null;
              case "DoesNotExist" -> value == null;
              default -> false;
            };
        all &= ok;
      }
      if (all) {
        return true;
      }
    }
    return terms.isEmpty();
  }

  private static boolean fits(Container c, Node n) {
    if (c.getResources() == null
        || n.getStatus() == null
        || n.getStatus().getAllocatable() == null) {
      return true;
    }
    Map<String, Quantity> want = new HashMap<>();
    Optional.ofNullable(c.getResources().getRequests()).ifPresent(want::putAll);
    Optional.ofNullable(c.getResources().getLimits())
        .ifPresent(l -> l.forEach((k, v) -> want.putIfAbsent(k, v)));
    Map<String, Quantity> has = n.getStatus().getAllocatable();
    for (var e : want.entrySet()) {
      Quantity cap = has.get(e.getKey());
      if (cap == null) {
        if (e.getValue().getNumericalAmount().signum() > 0) {
          return false;
        }
      } else if (e.getValue().getNumericalAmount().compareTo(cap.getNumericalAmount()) > 0) {
        return false;
      }
    }
    return true;
  }

  private void setScheduling(String pod, String message) {
    PodCondition unscheduled =
        new PodConditionBuilder()
            .withType("PodScheduled")
            .withStatus("False")
            .withReason("Unschedulable")
            .withMessage(message)
            .build();
    try {
      client
          .pods()
          .inNamespace(namespace)
          .withName(pod)
          .editStatus(
              p -> {
                p.setStatus(
                    new PodStatusBuilder()
                        .withPhase("Pending")
                        .withConditions(unscheduled)
                        .build());
                return p;
              });
    } catch (RuntimeException e) {
      // The pod was deleted meanwhile.
    }
  }

  // ------------------------------------------------------------------------------ status

  private static ContainerStatus running(String container) {
    return status(
        container,
        new ContainerStateBuilder().withNewRunning().withStartedAt(now()).endRunning().build(),
        true);
  }

  private static ContainerStatus waiting(String container, String reason, String message) {
    return status(
        container,
        new ContainerStateBuilder()
            .withNewWaiting()
            .withReason(reason)
            .withMessage(message)
            .endWaiting()
            .build(),
        false);
  }

  private static ContainerStatus terminated(
      String container, int exitCode, String reason, String message) {
    return status(
        container,
        new ContainerStateBuilder()
            .withNewTerminated()
            .withExitCode(exitCode)
            .withReason(reason)
            .withMessage(message)
            .withFinishedAt(now())
            .endTerminated()
            .build(),
        false);
  }

  private static ContainerStatus status(String container, ContainerState state, boolean ready) {
    return new ContainerStatusBuilder()
        .withName(container)
        .withState(state)
        .withReady(ready)
        .withImage("host-jdk")
        .build();
  }

  private static String now() {
    return Instant.now().toString();
  }

  private void setStatus(String pod, String phase, ContainerStatus container, String podIp) {
    PodCondition scheduled =
        new PodConditionBuilder().withType("PodScheduled").withStatus("True").build();
    PodStatus status =
        new PodStatusBuilder()
            .withPhase(phase)
            .withPodIP(podIp)
            .withConditions(Stream.of(scheduled).toList())
            .withContainerStatuses(container)
            .build();
    try {
      client
          .pods()
          .inNamespace(namespace)
          .withName(pod)
          .editStatus(
              p -> {
                p.setStatus(status);
                return p;
              });
    } catch (RuntimeException e) {
      // The pod was deleted meanwhile.
    }
  }

  @Override
  public void close() {
    if (watch != null) {
      watch.close();
    }
    for (Process p : running.values()) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    running.clear();
    try {
      if (Files.exists(root)) {
        try (Stream<Path> all = Files.walk(root)) {
          all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
