package dev.skiff.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.testing.SkiffExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Skiff as a user gets it, outside its repository's build: the project in {@code
 * examples/standalone} (its own {@code pom.xml}, importing {@code skiff-bom}) copied to a temporary
 * directory and built with Maven against the artifacts this build made, then run with {@code java};
 * and the command line's archive unpacked and run through a link on the {@code PATH}: {@code run}
 * of a single file and of the project's jar, and {@code deploy} of the project to a server started
 * from the archive.
 *
 * <p>The project's build uses a local repository of its own, {@code skiff.repository}: the build
 * copies Skiff's artifacts there (laid out as a local repository), and every other artifact comes
 * from the outer build's local repository, named to Maven as a {@code file:} mirror, so the build
 * downloads nothing and installs nothing into {@code ~/.m2}.
 */
@Tag("e2e")
class UserProjectTest {
  private static final String VERSION = property("skiff.version");
  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  private static final Path STANDALONE = ROOT.resolve("examples/standalone");
  private static final String JAR = "target/greetings-1.0.0.jar";
  private static final String MAIN = "com.example.greetings.Greetings";
  private static final Duration BUILD_DEADLINE = Duration.ofMinutes(5);
  private static final Duration DEADLINE = Duration.ofMinutes(2);
  private static final Pattern LISTENING = Pattern.compile("Skiff server listening on (\\S+)");

  private static Path work;
  private static Path project;
  private static Path skiffHome;
  private static Path onPath;

  @BeforeAll
  static void buildTheProjectAndUnpackTheArchive() throws IOException {
    work = Files.createTempDirectory("skiff-user-");
    skiffHome = Files.createDirectories(work.resolve("skiff-home"));
    project = work.resolve("greetings");
    copyTree(STANDALONE, project);
    Processes.Result build = Processes.run(project, env(), BUILD_DEADLINE, maven("package"));
    assertThat(build.exitCode()).as(build.describe()).isZero();

    Path archive = Path.of(property("skiff.archive"));
    Processes.Result untar =
        Processes.run(work, Map.of(), DEADLINE, List.of("tar", "xzf", archive.toString()));
    assertThat(untar.exitCode()).as(untar.describe()).isZero();
    onPath = Files.createDirectories(work.resolve("on-path"));
    Files.createSymbolicLink(
        onPath.resolve("skiff"), work.resolve("skiff-" + VERSION + "/bin/skiff"));
  }

  @AfterAll
  static void deleteWork() {
    Processes.deleteTree(work);
  }

  @Test
  void theExampleProjectNamesThisVersionOfSkiff() throws IOException {
    assertThat(Files.readString(STANDALONE.resolve("pom.xml")))
        .as("examples/standalone/pom.xml's skiff.version, shown in the README as a user's")
        .contains("<skiff.version>" + VERSION + "</skiff.version>");
  }

  @Test
  void theProjectsOwnTestRanItsFunctionInAContainer() throws IOException {
    Path report =
        project.resolve("target/surefire-reports/TEST-com.example.greetings.GreetingsTest.xml");
    assertThat(Files.readString(report))
        .contains("tests=\"1\"")
        .contains("failures=\"0\"")
        .contains("errors=\"0\"")
        .contains("skipped=\"0\"");
  }

  @Test
  void theProjectsMainRunsItsFunctionInAContainer() {
    String classpath = project.resolve(JAR) + ":" + project.resolve("target/lib") + "/*";
    Processes.Result r =
        Processes.run(project, env(), DEADLINE, List.of(java(), "-cp", classpath, MAIN, "Ada"));
    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertThat(r.out()).contains("Hello, Ada, from a container!\n");
    // The container's own output, streamed back with its function's name and container id.
    assertThat(r.all()).containsPattern("\\[greet c-[a-z0-9]+\\] greeting Ada");
  }

  @Test
  void theArchivesLauncherRunsThroughALinkOnThePath() {
    Processes.Result version = skiff("-V");
    assertThat(version.exitCode()).as(version.describe()).isZero();
    assertThat(version.out()).startsWith("skiff " + VERSION + "\n");

    Processes.Result help = skiff("--help");
    assertThat(help.exitCode()).as(help.describe()).isZero();
    assertThat(help.out()).startsWith("Usage: skiff ").contains("  run ").contains("  deploy ");
  }

  @Test
  void theArchivesCommandLineRunsASingleFileApp() throws IOException {
    Path source = work.resolve("Shout.java");
    Files.writeString(
        source,
        """
        import dev.skiff.App;
        import dev.skiff.Function1;

        public class Shout {
          static final App app = App.named("shout");
          static final Function1<String, String> shout = app.function(Shout::shout);

          static String shout(String s) {
            return s.toUpperCase() + "!";
          }

          public static void main(String[] args) {
            try (var run = app.run()) {
              System.out.println(shout.remote(args[0]));
            }
          }
        }
        """);
    Processes.Result r = skiff("run", source.toString(), "ahoy");
    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertThat(r.out()).isEqualTo("AHOY!\n");
  }

  @Test
  void theArchivesCommandLineRunsTheProjectsJar() {
    Processes.Result r =
        skiff("run", "--class", MAIN, "-cp", project.resolve(JAR).toString(), "Bo");
    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertThat(r.out()).contains("Hello, Bo, from a container!\n");
  }

  @Test
  void theArchivesCommandLineDeploysTheProjectToItsServerAndCallsIt() throws IOException {
    Path home = Files.createTempDirectory(work, "server-home-");
    Map<String, String> env = env();
    env.put("SKIFF_HOME", home.toString());
    try (Processes.Running server =
        Processes.start(work, env, skiffCommand("server", "--port", "0", "--web-port", "0"))) {
      await()
          .atMost(DEADLINE)
          .until(() -> LISTENING.matcher(server.output()).find() || !server.process().isAlive());
      assertThat(LISTENING.matcher(server.output()).find()).as(server.output()).isTrue();

      Processes.Result deployed =
          Processes.run(
              work,
              env,
              DEADLINE,
              skiffCommand("deploy", "--class", MAIN, "-cp", project.resolve(JAR).toString()));
      assertThat(deployed.exitCode()).as(deployed.describe()).isZero();
      assertThat(deployed.out()).contains("deployed app 'greetings' version 1");

      Processes.Result call =
          Processes.run(work, env, DEADLINE, skiffCommand("call", "greetings", "greet", "\"Cy\""));
      assertThat(call.exitCode()).as(call.describe()).isZero();
      assertThat(call.out()).isEqualTo("\"Hello, Cy, from a container!\"\n");
    }
  }

  private static Processes.Result skiff(String... args) {
    return Processes.run(work, env(), DEADLINE, skiffCommand(args));
  }

  /**
   * {@code skiff ARGS} found on the PATH of {@link #env()} (by {@code env}: Java would look in this
   * JVM's PATH), as a user who linked the archive's launcher there runs it.
   */
  private static List<String> skiffCommand(String... args) {
    List<String> command = new ArrayList<>();
    command.add("/usr/bin/env");
    command.add("skiff");
    command.addAll(List.of(args));
    return command;
  }

  /**
   * The environment of every command: this JVM's JDK, the link to the archive's launcher first on
   * the PATH, a SKIFF_HOME of the test's own, and the C1 compiler alone for the JVMs it starts.
   */
  private static Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    String javaHome = System.getProperty("java.home");
    env.put("JAVA_HOME", javaHome);
    String path = javaHome + "/bin:" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    env.put("PATH", onPath == null ? path : onPath + ":" + path);
    env.put("SKIFF_HOME", skiffHome.toString());
    // The Maven build, servers and `run`s here live for seconds: C1 alone spares compiling.
    String quickStart = String.join(" ", SkiffExtension.QUICK_START_JVM_OPTIONS);
    env.put("MAVEN_OPTS", quickStart);
    env.put("SKIFF_JAVA_OPTIONS", quickStart);
    return env;
  }

  /** {@code mvn GOALS} with the project's own local repository and the outer one as its mirror. */
  private static List<String> maven(String... goals) throws IOException {
    Path settings = work.resolve("settings.xml");
    Files.writeString(
        settings,
        """
        <settings>
          <mirrors>
            <mirror>
              <id>outer-local-repository</id>
              <mirrorOf>*</mirrorOf>
              <url>%s</url>
            </mirror>
          </mirrors>
        </settings>
        """
            .formatted(Path.of(property("maven.localRepository")).toUri()));
    List<String> command = new ArrayList<>();
    command.add(mvn());
    command.addAll(
        List.of(
            "-B",
            "-q",
            "-s",
            settings.toString(),
            "-Dmaven.repo.local=" + property("skiff.repository")));
    command.addAll(List.of(goals));
    return command;
  }

  /** The Maven this build runs under ({@code maven.home}), else the {@code mvn} on the PATH. */
  private static String mvn() {
    String home = System.getProperty("maven.home", "");
    Path mvn = Path.of(home, "bin", "mvn");
    return !home.isEmpty() && Files.isExecutable(mvn) ? mvn.toString() : "mvn";
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static String property(String name) {
    String value = System.getProperty(name);
    if (value == null || value.isBlank()) {
      throw new IllegalStateException(
          "system property " + name + " is not set; run this test with Maven (mvn verify)");
    }
    return value;
  }

  /** Copies the project's sources, leaving out any {@code target} a build left there. */
  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path p : paths.toList()) {
        Path relative = from.relativize(p);
        if (!relative.toString().isEmpty() && relative.getName(0).toString().equals("target")) {
          continue;
        }
        Path dest = to.resolve(relative.toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(dest);
        } else {
          Files.copy(p, dest);
        }
      }
    }
  }
}
