package dev.skiff.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skiff.ContainerCrashedException;
import dev.skiff.ContainerStartupException;
import dev.skiff.FunctionCall;
import dev.skiff.FunctionTimeoutException;
import dev.skiff.RemoteFunction;
import dev.skiff.internal.ClientConfig;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.AppStatusRequest;
import dev.skiff.proto.FunctionStatus;
import dev.skiff.proto.ListAppsRequest;
import dev.skiff.testing.ServerProcess;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@code skiff server --backend kubernetes} whose Kubernetes API is fabric8's mock server
 * (CRUD mode) and whose pods run as local processes through the test-only {@link PodAgent}: each
 * container is a pod that fetches its jars from the control plane by content hash and dials back
 * over TCP. The scenarios of the local backend: remote, map of 1,000, spawn, a generator, a retry
 * after a container crash, a timeout, a web endpoint.
 */
@Tag("e2e")
class KubernetesPodsTest {
  private static final String NAMESPACE = "skiff-test";

  private KubernetesMockServer api;
  private KubernetesClient client;

  @BeforeEach
  void startApi() {
    api =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(),
            false);
    api.init();
    client = api.createClient();
  }

  /**
   * Closes the client, then the mock API. The mock's own shutdown can time out waiting for
   * connections that killed processes left half-open (a server or pod killed -9 mid-watch); that is
   * the mock's housekeeping, not what this test checks, so it is logged, not failed.
   */
  @AfterEach
  void stopApi() {
    client.close();
    try {
      api.destroy();
    } catch (IllegalStateException e) {
      System.out.println("the mock Kubernetes API did not shut down cleanly: " + e);
    }
  }

  @TempDir Path dir;

  @Test
  void deployedFunctionsRunInPods() throws Exception {
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, kubeconfig(client.getMasterUrl().toString()));
    int containerPort = freePort();
    int webPort = freePort();
    Map<String, String> env =
        Map.of(
            "KUBECONFIG",
            kubeconfig.toString(),
            "SKIFF_KUBERNETES_NAMESPACE",
            NAMESPACE,
            "SKIFF_KUBERNETES_CONTROL_PLANE_ID",
            "kube-test",
            "SKIFF_KUBERNETES_CONTROL_PLANE",
            "127.0.0.1:" + containerPort,
            "SKIFF_KUBERNETES_JAR_URL",
            "http://127.0.0.1:" + webPort + "/_skiff/jars/");
    // The cluster's nodes: one for CPU work, one with an A100 (the backend lists them at start).
    node("cpu-node", Map.of(), Map.of("cpu", "8", "memory", "16Gi"));
    node(
        "gpu-node",
        Map.of("nvidia.com/gpu.product", "A100"),
        Map.of("cpu", "8", "memory", "16Gi", "nvidia.com/gpu", "1"));
    try (PodAgent agent =
        new PodAgent(client, NAMESPACE, Files.createDirectories(dir.resolve("agent"))).start()) {
      run(env, containerPort, webPort, agent);
      // Every call the server made to the Kubernetes API is one its Role grants.
      Set<String> used = backendCalls();
      System.out.println("kubernetes backend: API calls made: " + used);
      assertThat(used).isNotEmpty().isSubsetOf(granted());
      // A stopped control plane's pods go with it.
      await().atMost(Duration.ofSeconds(60)).until(() -> agent.runningPods().isEmpty());
    }
  }

  private void run(Map<String, String> env, int containerPort, int webPort, PodAgent agent)
      throws Exception {
    try (ServerProcess server =
        ServerProcess.startWithEnvironment(
            env,
            "--plaintext",
            "--backend",
            "kubernetes",
            "--container-port",
            Integer.toString(containerPort),
            "--web-port",
            Integer.toString(webPort))) {
      try {
        scenarios(server, agent);
      } finally {
        // The server's log and each pod's output, for a failure's post-mortem.
        Path logs = Files.createDirectories(Path.of("target", "kubernetes-logs"));
        Files.writeString(logs.resolve("server.log"), server.output());
        for (String pod : agent.loggedPods()) {
          Files.writeString(logs.resolve(pod + ".log"), agent.log(pod));
        }
      }
      server.stop();
    }
  }

  private void scenarios(ServerProcess server, PodAgent agent) throws Exception {
    {
      server.useInThisJvm();
      Files.writeString(KubeFns.NOTE, "a note from the test");
      try {
        KubeFns.app.deploy(); // builds onJdkImage's image
      } finally {
        Files.deleteIfExists(KubeFns.NOTE);
      }
      RemoteFunction<Integer> square = RemoteFunction.fromName("kube", "square", Integer.class);

      assertThat(square.remote(7)).isEqualTo(49);
      List<Pod> pods = client.pods().inNamespace(NAMESPACE).list().getItems();
      // Every pod is Skiff's; the function's are labelled with its app (warm-pool pods, started
      // before any app claims them, are not).
      assertThat(pods)
          .allSatisfy(
              p ->
                  assertThat(p.getMetadata().getLabels())
                      .containsEntry("app.kubernetes.io/managed-by", "skiff"))
          .anySatisfy(
              p ->
                  assertThat(p.getMetadata().getLabels())
                      .containsEntry("skiff.dev/app", "kube")
                      .containsEntry("skiff.dev/function", "square"));

      List<Integer> inputs = IntStream.range(0, 1000).boxed().toList();
      assertThat(square.map(inputs).toList()).isEqualTo(inputs.stream().map(i -> i * i).toList());

      FunctionCall<Integer> call = square.spawn(12);
      assertThat(FunctionCall.<Integer>fromId(call.id()).get(Duration.ofSeconds(60)))
          .isEqualTo(144);

      RemoteFunction<Integer> countTo = RemoteFunction.fromName("kube", "countTo", Integer.class);
      try (var items = countTo.remoteGen(5)) {
        assertThat(items.map(String::valueOf).collect(Collectors.joining(",")))
            .isEqualTo("0,1,2,3,4");
      }

      // Its first pod's JVM halts: the pod fails, the input is retried in a new pod.
      assertThat(RemoteFunction.fromName("kube", "crashOnce", String.class).remote("first"))
          .isEqualTo("survived first");

      assertThatThrownBy(() -> RemoteFunction.fromName("kube", "slow", String.class).remote())
          .isInstanceOf(FunctionTimeoutException.class);

      try (HttpClient http = HttpClient.newHttpClient()) {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(server.webBaseUrl() + "/kube/greet?name=agent"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("\"Hello from a pod, agent!\"");
      }
      // A function on a registry image: its pods run that image, with the recipe's environment
      // and working directory.
      assertThat(RemoteFunction.fromName("kube", "onRegistry", String.class).remote("agent"))
          .isEqualTo("hello from the registry image, agent");
      assertThat(client.pods().inNamespace(NAMESPACE).list().getItems())
          .filteredOn(
              p -> "onRegistry".equals(p.getMetadata().getLabels().get("skiff.dev/function")))
          .isNotEmpty()
          .allSatisfy(
              p -> {
                var c = p.getSpec().getContainers().get(0);
                assertThat(c.getImage()).isEqualTo("registry.example/team/jre:21");
                assertThat(c.getWorkingDir()).isEqualTo("/srv/app");
              });

      // A function on a JDK image built by the control plane: its pods run the configured JDK
      // image of its version, fetch its Maven jars after the app's and unpack its files, and
      // work in its working directory.
      assertThat(RemoteFunction.fromName("kube", "onJdkImage", String.class).remote("from a pod"))
          .isEqualTo(
              "hello from the JDK image, From A Pod|a note from the test|built at image time"
                  + "|/skiff/image/app");
      assertThat(client.pods().inNamespace(NAMESPACE).list().getItems())
          .filteredOn(
              p -> "onJdkImage".equals(p.getMetadata().getLabels().get("skiff.dev/function")))
          .isNotEmpty()
          .allSatisfy(
              p -> {
                var c = p.getSpec().getContainers().get(0);
                assertThat(c.getImage())
                    .isEqualTo("eclipse-temurin:" + Runtime.version().feature() + "-jre");
                assertThat(c.getWorkingDir()).isEqualTo("/skiff/image/app");
              });

      // A pod killed by the OOM killer: the call fails with the reason.
      FunctionCall<Integer> held = RemoteFunction.fromName("kube", "hold", Integer.class).spawn(60);
      // Every running pod of the function (the autoscaler may have started more than one).
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> status(server, "hold").getRunningInputs() > 0);
      runningPodsOf(agent, "hold").forEach(agent::killForMemory);
      assertThatThrownBy(() -> held.get(Duration.ofSeconds(60)))
          .isInstanceOf(ContainerCrashedException.class)
          .hasMessageContaining("out of memory");

      // The image cannot be pulled: the function's containers cannot start, and the error says why.
      agent.failPullsOf("eclipse-temurin:21-jre", "ErrImagePull");
      assertThatThrownBy(
              () -> RemoteFunction.fromName("kube", "echo", String.class).remote("never"))
          .isInstanceOf(ContainerStartupException.class)
          .hasMessageContaining("eclipse-temurin:21-jre");
      agent.clearPullFailures();

      // The GPU node is gone: a GPU call waits, and the function's status says why.
      client.nodes().withName("gpu-node").delete();
      FunctionCall<String> onGpu =
          RemoteFunction.fromName("kube", "onGpu", String.class).spawn("x");
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> waitingReason(server, "onGpu").contains("Unschedulable"));
      assertThat(waitingReason(server, "onGpu"))
          .contains("didn't match Pod's node affinity/selector");
      onGpu.cancel();

      // No node could ever hold an H100: the deploy is refused, naming the request.
      assertThatThrownBy(KubeImpossibleFns.app::deploy).hasMessageContaining("H100");

      System.out.printf(
          "kubernetes backend: %d pods created; running now: %s%n",
          client.pods().inNamespace(NAMESPACE).list().getItems().size(), agent.runningPods());
    }
  }

  private void node(String name, Map<String, String> labels, Map<String, String> allocatable) {
    Map<String, Quantity> resources = new HashMap<>();
    allocatable.forEach((k, v) -> resources.put(k, new Quantity(v)));
    client
        .nodes()
        .resource(
            new NodeBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(labels)
                .endMetadata()
                .withNewStatus()
                .withAllocatable(resources)
                .endStatus()
                .build())
        .create();
  }

  /** The running pods of {@code function}, by its label. */
  private List<String> runningPodsOf(PodAgent agent, String function) {
    return client
        .pods()
        .inNamespace(NAMESPACE)
        .withLabel("skiff.dev/function", function)
        .list()
        .getItems()
        .stream()
        .map(p -> p.getMetadata().getName())
        .filter(agent.runningPods()::contains)
        .toList();
  }

  /** Why a function of the deployed app "kube" waits, as the client API shows it. */
  private static String waitingReason(ServerProcess server, String function) {
    return status(server, function).getWaitingReason();
  }

  /** The status of a function of the deployed app "kube", as the client API shows it. */
  private static FunctionStatus status(ServerProcess server, String function) {
    ClientConfig config = server.clientConfig();
    try (SkiffClient c = SkiffClient.connect(config.server(), config.token(), config.trust())) {
      String id =
          c.blocking().listApps(ListAppsRequest.getDefaultInstance()).getAppsList().stream()
              .filter(a -> a.getAppName().equals("kube"))
              .findFirst()
              .orElseThrow()
              .getAppId();
      return c
          .blocking()
          .getAppStatus(AppStatusRequest.newBuilder().setAppId(id).build())
          .getFunctionsList()
          .stream()
          .filter(f -> f.getFunctionName().equals(function))
          .findFirst()
          .orElse(FunctionStatus.getDefaultInstance());
    }
  }

  /**
   * The calls the server made (its kubeconfig's token marks them; the agent and this test send
   * none) as "resource verb" pairs, the way RBAC names them.
   */
  private Set<String> backendCalls() throws InterruptedException {
    Set<String> used = new TreeSet<>();
    RecordedRequest r;
    while ((r = api.takeRequest(10, TimeUnit.MILLISECONDS)) != null) {
      if ("Bearer mock-token".equals(r.getHeader("Authorization"))) {
        used.add(permission(r.getMethod(), r.getPath()));
      }
    }
    return used;
  }

  private static String permission(String method, String path) {
    URI uri = URI.create(path);
    List<String> parts = List.of(uri.getPath().replaceFirst("^/api/v1/", "").split("/"));
    if (parts.get(0).equals("namespaces") && parts.size() > 2) {
      parts = parts.subList(2, parts.size());
    }
    String resource = parts.get(0) + (parts.size() > 2 ? "/" + parts.get(2) : "");
    boolean named = parts.size() > 1;
    String query = uri.getQuery() == null ? "" : uri.getQuery();
    String verb =
        switch (method) {
          case "GET" -> named ? "get" : query.contains("watch=true") ? "watch" : "list";
          case "POST" -> "create";
          case "PUT" -> "update";
          case "PATCH" -> "patch";
          case "DELETE" -> named ? "delete" : "deletecollection";
          default -> method;
        };
    return resource + " " + verb;
  }

  /** What deploy/kubernetes/'s Role and ClusterRole grant, as "resource verb" pairs. */
  private Set<String> granted() throws IOException {
    Set<String> granted = new TreeSet<>();
    Path manifests = Path.of("..", "deploy", "kubernetes");
    for (String file : List.of("20-role.yaml", "21-cluster-role.yaml")) {
      try (var in = Files.newInputStream(manifests.resolve(file))) {
        for (HasMetadata item : client.load(in).items()) {
          List<PolicyRule> rules =
              item instanceof Role role
                  ? role.getRules()
                  : item instanceof ClusterRole cr ? cr.getRules() : List.of();
          for (PolicyRule rule : rules) {
            for (String resource : rule.getResources()) {
              for (String verb : rule.getVerbs()) {
                granted.add(resource + " " + verb);
              }
            }
          }
        }
      }
    }
    return granted;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static String kubeconfig(String master) {
    return String.join(
        "\n",
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: mock",
        "  cluster:",
        "    server: " + master,
        "contexts:",
        "- name: mock",
        "  context:",
        "    cluster: mock",
        "    user: mock",
        "    namespace: " + NAMESPACE,
        "current-context: mock",
        "users:",
        "- name: mock",
        "  user:",
        "    token: mock-token",
        "");
  }
}
