package dev.skiff.server;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Which package of the control plane may use which, as each package's {@code package-info.java}
 * says. A class that reaches into a package its own may not use fails here, naming the dependency.
 */
class DependencyRulesTest {
  private static final String SERVER = "dev.skiff.server";

  /**
   * Each sub-package (relative to {@code dev.skiff.server}; {@code ..} includes sub-packages) and
   * the other server packages it may use. Classes outside the server are always allowed.
   */
  private static final Map<String, List<String>> MAY_USE = new LinkedHashMap<>();

  static {
    MAY_USE.put("common", List.of());
    MAY_USE.put("metrics", List.of());
    MAY_USE.put("auth", List.of("common"));
    MAY_USE.put("files", List.of("common", "store"));
    MAY_USE.put("secrets", List.of("common"));
    MAY_USE.put("logs", List.of("store.."));
    MAY_USE.put("image", List.of("backend..", "store"));
    MAY_USE.put("backend..", List.of("backend..", "common"));
    MAY_USE.put("backend.kubernetes", List.of("backend", "common"));
    MAY_USE.put("store..", List.of("store.."));
    MAY_USE.put(
        "runtime",
        List.of(
            "common",
            "auth",
            "backend..",
            "scaling",
            "image",
            "files",
            "logs",
            "metrics",
            "activity"));
    MAY_USE.put("scaling", List.of("common", "auth", "backend..", "runtime"));
    MAY_USE.put("calls", List.of("common", "runtime", "store.."));
    MAY_USE.put("schedule", List.of("common", "runtime"));
    MAY_USE.put("web", List.of("common", "auth", "runtime", "store..", "metrics"));
    MAY_USE.put("dashboard", List.of("web", "secrets"));
    MAY_USE.put("activity", List.of());
    MAY_USE.put("cluster", List.of("auth", "store.."));
    MAY_USE.put(
        "deploy",
        List.of(
            "common",
            "runtime",
            "calls",
            "schedule",
            "web",
            "files",
            "image",
            "secrets",
            "cluster",
            "store.."));
    MAY_USE.put(
        "api",
        List.of(
            "common",
            "auth",
            "runtime",
            "scaling",
            "calls",
            "deploy",
            "schedule",
            "web",
            "logs",
            "files",
            "secrets",
            "image",
            "activity",
            "store.."));
  }

  private static JavaClasses server;

  @BeforeAll
  static void importServer() {
    server =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(SERVER);
  }

  static Stream<String> packages() {
    return MAY_USE.keySet().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("packages")
  void packageUsesOnlyWhatItsPackageInfoAllows(String pkg) {
    String[] allowed =
        Stream.concat(Stream.of(pkg), MAY_USE.get(pkg).stream())
            .map(p -> SERVER + "." + p)
            .toArray(String[]::new);
    ArchRule rule =
        classes()
            .that()
            .resideInAPackage(SERVER + "." + pkg)
            .should()
            .onlyDependOnClassesThat(
                resideOutsideOfPackage(SERVER + "..")
                    .or(resideInAnyPackage(allowed))
                    .as("are outside the server or in " + Arrays.toString(allowed)))
            .allowEmptyShould(false);
    rule.check(server);
  }

  @Test
  void everyServerPackageHasARule() {
    List<String> ruled =
        MAY_USE.keySet().stream().map(p -> SERVER + "." + p.replace("..", "")).toList();
    List<String> unruled =
        server.stream()
            .map(c -> c.getPackageName())
            .distinct()
            .filter(p -> !p.equals(SERVER))
            .filter(p -> ruled.stream().noneMatch(r -> p.equals(r) || p.startsWith(r + ".")))
            .toList();
    assertThat(unruled).as("server packages without a dependency rule").isEmpty();
  }

  @Test
  void onlyTheKubernetesBackendUsesTheKubernetesClient() {
    noClasses()
        .that()
        .resideOutsideOfPackage(SERVER + ".backend.kubernetes")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.fabric8..")
        .check(server);
  }

  @Test
  void onlyTheWebPackageUsesTheHttpServer() {
    noClasses()
        .that()
        .resideOutsideOfPackage(SERVER + ".web")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.eclipse.jetty..", "com.sun.net.httpserver..")
        .check(server);
  }

  @Test
  void onlyTheMetricsPackageUsesMicrometer() {
    noClasses()
        .that()
        .resideOutsideOfPackage(SERVER + ".metrics")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.micrometer..", "io.prometheus..")
        .check(server);
  }

  @Test
  void theRulesCatchAForbiddenDependency() {
    // The composition root uses everything, so a rule that forbids it a package must fail.
    EvaluationResult result =
        classes()
            .that()
            .resideInAPackage(SERVER)
            .should()
            .onlyDependOnClassesThat(resideOutsideOfPackage(SERVER + ".api.."))
            .evaluate(server);
    assertThat(result.hasViolation()).isTrue();
  }
}
