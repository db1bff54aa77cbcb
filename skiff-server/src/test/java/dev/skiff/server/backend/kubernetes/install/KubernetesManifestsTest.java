package dev.skiff.server.backend.kubernetes.install;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Applies the manifests of {@code deploy/kubernetes/} to fabric8's mock Kubernetes API (CRUD mode),
 * reads them back, and checks that they grant the server exactly the permissions its backend uses
 * and run it as docs/kubernetes-install.md says.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesManifestsTest {
  /**
   * Every namespaced (resource, verb) the Kubernetes backend ({@code
   * dev.skiff.server.backend.kubernetes}) calls, and so every one the Role may grant. The backend
   * must stay within this set: a call it adds needs a pair here and a rule in 20-role.yaml, no
   * more.
   */
  static final Set<String> NAMESPACED_PERMISSIONS =
      Set.of(
          "pods create",
          "pods delete",
          "pods get",
          "pods list",
          "pods watch",
          "pods/log get",
          "secrets create",
          "secrets delete",
          "secrets get",
          "persistentvolumeclaims create",
          "persistentvolumeclaims get",
          "persistentvolumeclaims list",
          "configmaps create",
          "configmaps delete",
          "configmaps get",
          "configmaps update");

  /** The cluster-wide (resource, verb) pairs the backend calls: the node inventory. */
  static final Set<String> CLUSTER_PERMISSIONS = Set.of("nodes get", "nodes list");

  static final Path MANIFESTS = repositoryRoot().resolve("deploy/kubernetes");
  static final String NAMESPACE = "skiff";

  static KubernetesClient client;

  @BeforeAll
  static void applyEveryManifest() {
    for (Path file : manifestFiles()) {
      for (HasMetadata item : load(file)) {
        client.resource(item).create();
      }
    }
  }

  @Test
  void roleGrantsExactlyTheBackendsNamespacedPermissions() {
    Role role = client.rbac().roles().inNamespace(NAMESPACE).withName("skiff-server").get();

    assertThat(role).isNotNull();
    assertThat(role.getRules())
        .allSatisfy(rule -> assertThat(rule.getApiGroups()).containsExactly(""));
    assertThat(permissions(role.getRules())).isEqualTo(NAMESPACED_PERMISSIONS);
    RoleBinding binding =
        client.rbac().roleBindings().inNamespace(NAMESPACE).withName("skiff-server").get();
    assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
    assertThat(binding.getRoleRef().getName()).isEqualTo("skiff-server");
    assertThat(binding.getSubjects())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getKind()).isEqualTo("ServiceAccount");
              assertThat(s.getName()).isEqualTo("skiff-server");
              assertThat(s.getNamespace()).isEqualTo(NAMESPACE);
            });
  }

  @Test
  void clusterRoleOnlyReadsNodes() {
    List<ClusterRole> roles = client.rbac().clusterRoles().list().getItems();

    assertThat(roles)
        .singleElement()
        .extracting(r -> r.getMetadata().getName())
        .isEqualTo("skiff-server-nodes");
    assertThat(permissions(roles.get(0).getRules())).isEqualTo(CLUSTER_PERMISSIONS);
    ClusterRoleBinding binding =
        client.rbac().clusterRoleBindings().withName("skiff-server-nodes").get();
    assertThat(binding.getRoleRef().getName()).isEqualTo("skiff-server-nodes");
    assertThat(binding.getSubjects())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getName()).isEqualTo("skiff-server");
              assertThat(s.getNamespace()).isEqualTo(NAMESPACE);
            });
  }

  @Test
  void deploymentRunsThreeServerReplicasOnTheKubernetesBackend() {
    Deployment deployment =
        client.apps().deployments().inNamespace(NAMESPACE).withName("skiff-server").get();

    assertThat(deployment.getSpec().getReplicas()).isEqualTo(3);
    var pod = deployment.getSpec().getTemplate().getSpec();
    assertThat(pod.getServiceAccountName()).isEqualTo("skiff-server");
    assertThat(client.serviceAccounts().inNamespace(NAMESPACE).withName("skiff-server").get())
        .isNotNull();
    var server = pod.getContainers().get(0);
    assertThat(server.getArgs()).startsWith("server");
    assertThat(String.join(" ", server.getArgs()))
        .contains(
            "--backend kubernetes", "--database jdbc:postgresql://", "--advertise $(POD_IP):7733");
    assertThat(server.getEnv())
        .filteredOn(e -> e.getName().startsWith("SKIFF_DATABASE_"))
        .allSatisfy(
            e -> {
              assertThat(e.getValue()).isNull();
              assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("skiff-database");
            })
        .hasSize(2);
    assertThat(server.getEnv())
        .filteredOn(e -> e.getName().equals("POD_IP"))
        .singleElement()
        .satisfies(
            e ->
                assertThat(e.getValueFrom().getFieldRef().getFieldPath())
                    .isEqualTo("status.podIP"));
    // Probed on the web port's health paths, over TLS.
    assertThat(server.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(server.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(server.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("web");
    assertThat(server.getReadinessProbe().getHttpGet().getScheme()).isEqualTo("HTTPS");
  }

  @Test
  void serviceExposesTheApiWebAndContainerPorts() {
    Service service = client.services().inNamespace(NAMESPACE).withName("skiff-server").get();

    assertThat(service.getSpec().getPorts())
        .extracting(ServicePort::getName, ServicePort::getPort)
        .containsExactlyInAnyOrder(
            tuple("api", 7733), tuple("web", 7734), tuple("containers", 7735));
    assertThat(service.getSpec().getSelector())
        .isEqualTo(
            client
                .apps()
                .deployments()
                .inNamespace(NAMESPACE)
                .withName("skiff-server")
                .get()
                .getSpec()
                .getSelector()
                .getMatchLabels());
  }

  @Test
  void installGuideNamesEveryManifest() throws IOException {
    String guide = Files.readString(repositoryRoot().resolve("docs/kubernetes-install.md"));

    assertThat(manifestFiles())
        .isNotEmpty()
        .allSatisfy(f -> assertThat(guide).contains("deploy/kubernetes/" + f.getFileName()));
  }

  /** The (resource, verb) pairs of the rules; a wildcard would show as "*" and fail the match. */
  private static Set<String> permissions(List<PolicyRule> rules) {
    return rules.stream()
        .flatMap(
            r ->
                r.getResources().stream()
                    .flatMap(res -> r.getVerbs().stream().map(v -> res + " " + v)))
        .collect(Collectors.toSet());
  }

  private static List<Path> manifestFiles() {
    try (Stream<Path> files = Files.list(MANIFESTS)) {
      return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<HasMetadata> load(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return new ArrayList<>(client.load(in).items());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The repository's root: tests run in skiff-server/. */
  private static Path repositoryRoot() {
    Path here = Path.of("").toAbsolutePath();
    return Files.isDirectory(here.resolve("deploy")) ? here : here.getParent();
  }
}
