package dev.skiff.server.backend.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skiff.server.backend.Capability;
import dev.skiff.server.backend.ClasspathEntry;
import dev.skiff.server.backend.ContainerHandle;
import dev.skiff.server.backend.ContainerSpec;
import dev.skiff.server.backend.ContainerStartException;
import dev.skiff.server.backend.OutputListener;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real child JVMs in a real bubblewrap sandbox (which CI installs): the command line, the whole
 * sandbox ending with its handle, and the class-data archive made inside it.
 */
@Tag("e2e")
class SandboxedBackendTest {
  @TempDir Path temp;

  private static Sandbox sandbox;
  private final List<String> stdout = new CopyOnWriteArrayList<>();
  private final List<String> stderr = new CopyOnWriteArrayList<>();
  private final OutputListener output = (isErr, line) -> (isErr ? stderr : stdout).add(line);
  private LocalProcessBackend backend;

  @BeforeAll
  static void probe() {
    sandbox =
        Sandbox.probe()
            .orElseThrow(
                () -> new AssertionError("these tests need bubblewrap: " + Sandbox.INSTALL_HINT));
  }

  @AfterEach
  void tearDown() {
    if (backend != null) {
      backend.close();
    }
  }

  private LocalProcessBackend sandboxed(Optional<Path> cds) {
    backend =
        new LocalProcessBackend(
            LocalProcessBackend.defaultJava(),
            cds,
            ScriptedMain.class.getName(),
            Optional.of(sandbox),
            List.of(),
            LocalProcessBackend.Unsandboxed.REFUSE,
            Optional.empty());
    return backend;
  }

  private static String testClasses() throws URISyntaxException {
    return Path.of(ScriptedMain.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        .toString();
  }

  private static ContainerSpec spec(String id, String classpath, String mode) {
    return spec(id, classpath, mode, Map.of());
  }

  private static ContainerSpec spec(
      String id, String classpath, String mode, Map<String, String> more) {
    Map<String, String> env = new HashMap<>(more);
    env.putAll(Map.of("SKIFF_CONTAINER_ID", id, "TEST_MODE", mode));
    return new ContainerSpec(id, ClasspathEntry.hostPaths(List.of(classpath)), env);
  }

  @Test
  void wrapMountsTmpBeforeTheBindsAndMakesTheRootReadOnlyLast() {
    Path cache = temp.resolve("vol");
    Sandbox.Spec spec =
        new Sandbox.Spec(
            Path.of("/opt/jdk"),
            List.of(temp), // exists: bound; a missing path is skipped
            Optional.empty(),
            Map.of("/cache", cache),
            List.of(),
            "/tmp");
    List<String> args = sandbox.wrap(spec, List.of("/opt/jdk/bin/java", "-Dskiff.container=c-1"));
    assertThat(args.get(0)).endsWith("bwrap");
    assertThat(args)
        .contains("--unshare-pid", "--unshare-net", "--die-with-parent", "--new-session")
        .containsSubsequence("--cap-drop", "ALL")
        .containsSubsequence("--tmpfs", "/tmp", "--ro-bind", "/opt/jdk", "/opt/jdk")
        .containsSubsequence("--ro-bind", temp.toString(), temp.toString())
        .containsSubsequence("--bind", cache.toString(), "/cache", "--remount-ro", "/")
        .endsWith("--", "/opt/jdk/bin/java", "-Dskiff.container=c-1")
        .doesNotContain("--share-net", "--unshare-all");
  }

  @Test
  void aRootFileSystemBecomesAReadOnlySlashWithTheBindsInside() throws Exception {
    Path root = Files.createDirectories(temp.resolve("root"));
    Files.writeString(root.resolve("image-file"), "from the image");
    List<Path> system =
        Stream.of("/usr", "/lib", "/lib64").map(Path::of).filter(Files::exists).toList();
    Sandbox.Spec spec =
        new Sandbox.Spec(
            Path.of(System.getProperty("java.home")),
            system,
            Optional.of(root),
            Map.of(),
            List.of(),
            "/tmp");
    Process p =
        new ProcessBuilder(
                sandbox.wrap(
                    spec,
                    List.of(
                        "/usr/bin/sh",
                        "-c",
                        "cat /image-file; touch /x 2>/dev/null || echo root-read-only;"
                            + " touch /tmp/y && echo tmp-writable")))
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(out).contains("from the image", "root-read-only", "tmp-writable");
    assertThat(root.resolve("x")).doesNotExist();
  }

  @Test
  void aSandboxedJvmGetsOnlySkiffsEnvironmentAndNoParentWatch() throws Exception {
    ContainerHandle c =
        sandboxed(Optional.empty()).start(spec("c-sb0001", testClasses(), "exit"), output);
    assertThat(c.onExit().get(60, TimeUnit.SECONDS)).isZero();
    assertThat(stdout).containsExactly("id=c-sb0001", "parent=null");
  }

  @Test
  void killEndsBubblewrapAndTheJvmInsideIt() throws Exception {
    ContainerHandle c =
        sandboxed(Optional.empty()).start(spec("c-sb0002", testClasses(), "sleep"), output);
    await().atMost(Duration.ofSeconds(30)).until(() -> stdout.contains("sleeping"));
    ProcessHandle bwrap = ProcessHandle.of(c.pid().orElseThrow()).orElseThrow();
    List<ProcessHandle> inside = bwrap.descendants().toList();
    assertThat(inside)
        .anySatisfy(
            p ->
                assertThat(p.info().arguments().orElse(new String[] {""})[0])
                    .isEqualTo("-Dskiff.container=c-sb0002"));

    c.kill();

    assertThat(c.onExit().get(30, TimeUnit.SECONDS)).isEqualTo(137);
    assertThat(bwrap.isAlive()).isFalse();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> inside.stream().noneMatch(ProcessHandle::isAlive));
  }

  @Test
  void stopSendsSigtermToTheJvmAndTheSandboxEndsWithIt() throws Exception {
    ContainerHandle c =
        sandboxed(Optional.empty()).start(spec("c-sb0003", testClasses(), "sleep"), output);
    await().atMost(Duration.ofSeconds(30)).until(() -> stdout.contains("sleeping"));

    c.stop();

    assertThat(c.onExit().get(30, TimeUnit.SECONDS)).isEqualTo(143);
  }

  @Test
  void theArchiveMadeFromTheFirstContainersClassListIsUsedByTheNext() throws Exception {
    Path jar = jarOfScriptedMain();
    Path cds = Files.createDirectories(temp.resolve("cds"));
    LocalProcessBackend b = sandboxed(Optional.of(cds));

    ContainerHandle first = b.start(spec("c-sb0004", jar.toString(), "exit"), output);
    assertThat(first.onExit().get(60, TimeUnit.SECONDS)).isZero();
    Path archive = awaitArchive(cds); // alone: the staging and dump directories are gone
    assertMapsTheArchiveAndLoadsTheClassesFromIt(b, archive, jar);

    ContainerHandle second = b.start(spec("c-sb0005", jar.toString(), "crash"), output);
    assertThat(second.onExit().get(60, TimeUnit.SECONDS)).isEqualTo(3);
    assertThat(stderr).hasSize(60); // nothing from the JVM about the archive
  }

  @Test
  void theDumpOutlivesTheControlPlaneThatClosedRightAfterItsFirstContainer() throws Exception {
    Path jar = jarOfScriptedMain();
    Path cds = Files.createDirectories(temp.resolve("cds"));
    LocalProcessBackend first = sandboxed(Optional.of(cds));
    ContainerHandle recording = first.start(spec("c-sb0012", jar.toString(), "exit"), output);
    assertThat(recording.onExit().get(60, TimeUnit.SECONDS)).isZero();
    first.close(); // at once, as a program that ran one app ends

    Path archive = awaitArchive(cds);
    assertMapsTheArchiveAndLoadsTheClassesFromIt(sandboxed(Optional.of(cds)), archive, jar);
  }

  @Test
  void aClassListLeftByAJvmThatExitedBeforeItsDumpIsDumpedByTheNextControlPlane() throws Exception {
    Path jar = jarOfScriptedMain();
    Path cds = Files.createDirectories(temp.resolve("cds"));
    var jdk =
        new ClassDataArchives.Jdk(
            LocalProcessBackend.defaultJava().getParent().getParent(), Runtime.version().feature());
    String key =
        new ClassDataArchives(LocalProcessBackend.defaultJava(), Optional.empty(), Optional.empty())
            .key(jdk, List.of(jar.toString()));
    Files.write(
        cds.resolve("skiff-" + key + ".classes"),
        List.of("java/lang/Object", ScriptedMain.class.getName().replace('.', '/')));

    LocalProcessBackend next = sandboxed(Optional.of(cds));
    ContainerHandle c = next.start(spec("c-sb0013", jar.toString(), "exit"), output);
    assertThat(c.onExit().get(60, TimeUnit.SECONDS)).isZero();

    Path archive = awaitArchive(cds); // the list is gone with its dump
    assertThat(archive.getFileName()).hasToString("skiff-" + key + ".jsa");
    assertMapsTheArchiveAndLoadsTheClassesFromIt(next, archive, jar);
  }

  @Test
  void aDirectoryOnTheClasspathRunsAsAJarThatHasAnArchive() throws Exception {
    Path classes = Files.createDirectories(temp.resolve("classes"));
    try (var jar = new JarFile(jarOfScriptedMain().toFile())) {
      for (var e : Collections.list(jar.entries())) {
        Path to = classes.resolve(e.getName());
        Files.createDirectories(to.getParent());
        try (var in = jar.getInputStream(e)) {
          Files.copy(in, to);
        }
      }
    }
    Path cds = Files.createDirectories(temp.resolve("cds"));
    LocalProcessBackend b = sandboxed(Optional.of(cds));

    ContainerHandle first = b.start(spec("c-sb0014", classes.toString(), "exit"), output);
    assertThat(first.onExit().get(60, TimeUnit.SECONDS)).isZero();
    Path archive = awaitArchive(cds);

    Path packed;
    try (var jars = Files.list(temp.resolve("cds-jars"))) {
      packed =
          jars.filter(p -> p.getFileName().toString().endsWith(".jar")).findFirst().orElseThrow();
    }
    assertMapsTheArchiveAndLoadsTheClassesFromIt(b, archive, classes);
    assertThat(b.command(spec("c-sb0015", classes.toString(), "exit"), List.of()))
        .contains(packed.toString())
        .doesNotContain(classes.toString());
    ContainerHandle second = b.start(spec("c-sb0016", classes.toString(), "crash"), output);
    assertThat(second.onExit().get(60, TimeUnit.SECONDS)).isEqualTo(3);
  }

  @Test
  void aLinkPlantedByTheFirstContainerOfAClasspathNeverLetsTheNextReadAHostFile() throws Exception {
    Path jar = jarOfScriptedMain();
    String secret = "SECRET-" + UUID.randomUUID();
    Path secretKey = Files.writeString(temp.resolve("secret.key"), secret); // outside the sandbox
    Path cds = Files.createDirectories(temp.resolve("cds"));
    LocalProcessBackend b = sandboxed(Optional.of(cds));

    ContainerHandle first =
        b.start(
            spec(
                "c-sb0007",
                jar.toString(),
                "plant-link",
                Map.of("TEST_TARGET", secretKey.toString())),
            output);
    assertThat(first.onExit().get(60, TimeUnit.SECONDS)).isEqualTo(137);
    assertThat(stdout).anySatisfy(l -> assertThat(l).startsWith("planted "));
    awaitNoArchiveInTheMaking(cds);

    ContainerHandle second = b.start(spec("c-sb0008", jar.toString(), "read-archive"), output);
    assertThat(second.onExit().get(60, TimeUnit.SECONDS)).isZero();

    assertThat(stdout).noneSatisfy(l -> assertThat(l).contains(secret));
    awaitNoArchiveInTheMaking(cds); // the second, given none, recorded a list of its own
    assertOnlyRegularArchivesOfThisUser(cds);
  }

  @Test
  void aContainerCannotWriteReplaceOrDeleteTheArchiveItMaps() throws Exception {
    Path jar = jarOfScriptedMain();
    Path cds = Files.createDirectories(temp.resolve("cds"));
    LocalProcessBackend b = sandboxed(Optional.of(cds));
    ContainerHandle first = b.start(spec("c-sb0009", jar.toString(), "exit"), output);
    assertThat(first.onExit().get(60, TimeUnit.SECONDS)).isZero();
    Path archive = awaitArchive(cds);
    byte[] before = Files.readAllBytes(archive);

    ContainerHandle second = b.start(spec("c-sb0010", jar.toString(), "tamper"), output);
    assertThat(second.onExit().get(60, TimeUnit.SECONDS)).isZero();

    assertThat(stdout)
        .contains(
            "archive " + archive,
            "write failed: FileSystemException",
            "delete failed: FileSystemException",
            "replace failed: FileSystemException");
    assertThat(Files.readAllBytes(archive)).isEqualTo(before);
    assertOnlyRegularArchivesOfThisUser(cds);
  }

  /**
   * Runs a container's command line outside the sandbox with sharing required ({@code -Xshare:on}
   * fails when the archive cannot be mapped) and checks the entrypoint came from the archive.
   */
  private static void assertMapsTheArchiveAndLoadsTheClassesFromIt(
      LocalProcessBackend b, Path archive, Path classpath) throws Exception {
    List<String> command =
        b.command(
            spec("c-sb0011", classpath.toString(), "exit"),
            List.of("-XX:SharedArchiveFile=" + archive, "-Xshare:on", "-Xlog:class+load=info"));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("TEST_MODE", "exit");
    Process p = builder.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains(ScriptedMain.class.getName() + " source: shared objects file");
  }

  /** Waits until the class-data directory holds no staging directory. */
  private static void awaitNoArchiveInTheMaking(Path cds) {
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              try (var files = Files.list(cds)) {
                assertThat(files.toList())
                    .allSatisfy(p -> assertThat(p.getFileName().toString()).endsWith(".jsa"));
              }
            });
  }

  /** Waits for the one archive of the class-data directory, and returns it. */
  private static Path awaitArchive(Path cds) {
    return await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              try (var files = Files.list(cds)) {
                return files.toList();
              }
            },
            files -> files.size() == 1 && files.get(0).getFileName().toString().endsWith(".jsa"))
        .get(0);
  }

  private static void assertOnlyRegularArchivesOfThisUser(Path cds) throws IOException {
    try (var files = Files.list(cds)) {
      for (Path p : files.toList()) {
        var attributes =
            Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        assertThat(attributes.isRegularFile()).as("%s is a regular file", p).isTrue();
        assertThat(attributes.owner().getName()).isEqualTo(System.getProperty("user.name"));
      }
    }
  }

  @Test
  void aSpecWithVolumesFailsToStartWithoutTheSandbox() {
    backend =
        new LocalProcessBackend(
            LocalProcessBackend.defaultJava(), Optional.empty(), ScriptedMain.class.getName());
    ContainerSpec withVolume =
        new ContainerSpec(
            "c-sb0006",
            ClasspathEntry.hostPaths(List.of("/x.jar")),
            Map.of(),
            Map.of("/cache", "cache"),
            Optional.empty());
    assertThatThrownBy(() -> backend.start(withVolume, output))
        .isInstanceOf(ContainerStartException.class)
        .hasMessageContaining("install bubblewrap");
    assertThat(backend.capabilities().whyNot(Capability.VOLUMES)).isPresent();
  }

  private Path jarOfScriptedMain() throws IOException, URISyntaxException {
    Path jar = temp.resolve("scripted.jar");
    Path classes = Path.of(testClasses());
    String prefix = ScriptedMain.class.getName().replace('.', '/');
    Path dir = classes.resolve(prefix).getParent();
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream j = new JarOutputStream(out);
        var files = Files.list(dir)) {
      for (Path f : files.toList()) { // ScriptedMain and its nested classes
        String entry = classes.relativize(f).toString();
        if (entry.equals(prefix + ".class") || entry.startsWith(prefix + "$")) {
          j.putNextEntry(new JarEntry(entry));
          j.write(Files.readAllBytes(f));
          j.closeEntry();
        }
      }
    }
    return jar;
  }
}
