package dev.skiff.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skiff.FunctionCall;
import dev.skiff.FunctionTimeoutException;
import dev.skiff.RemoteFunction;
import dev.skiff.testing.ServerProcess;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
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
@EnableKubernetesMockClient(crud = true, https = false)
class KubernetesPodsTest {
  private static final String NAMESPACE = "skiff-test";

  KubernetesClient client;

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
    try (PodAgent agent =
        new PodAgent(client, NAMESPACE, Files.createDirectories(dir.resolve("agent"))).start()) {
      run(env, containerPort, webPort, agent);
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
      server.useInThisJvm();
      KubeFns.app.deploy();
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
      System.out.printf(
          "kubernetes backend: %d pods created; running now: %s%n",
          client.pods().inNamespace(NAMESPACE).list().getItems().size(), agent.runningPods());
      server.stop();
    }
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
