package dev.skiff.server.backend.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.server.backend.ClasspathEntry;
import dev.skiff.server.backend.ContainerHandle;
import dev.skiff.server.backend.ContainerSpec;
import dev.skiff.server.backend.OutputListener;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real child JVMs running {@link ScriptedMain} instead of the SDK's entrypoint. */
class LocalProcessBackendTest {
  @TempDir Path temp;

  private final List<String> stdout = new CopyOnWriteArrayList<>();
  private final List<String> stderr = new CopyOnWriteArrayList<>();
  private final OutputListener output = (isErr, line) -> (isErr ? stderr : stdout).add(line);
  private LocalProcessBackend backend;

  @AfterEach
  void tearDown() {
    if (backend != null) {
      backend.close();
    }
  }

  private static String testClasses() throws URISyntaxException {
    return Path.of(ScriptedMain.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        .toString();
  }

  private LocalProcessBackend backend(Optional<Path> cds) {
    backend =
        new LocalProcessBackend(
            LocalProcessBackend.defaultJava(), cds, ScriptedMain.class.getName());
    return backend;
  }

  private static ContainerSpec spec(String id, String classpath, String mode) {
    return new ContainerSpec(
        id,
        ClasspathEntry.hostPaths(List.of(classpath)),
        Map.of("SKIFF_CONTAINER_ID", id, "TEST_MODE", mode));
  }

  @Test
  void outputArrivesLineByLineAndTheExitCodeAfterIt() throws Exception {
    ContainerHandle c =
        backend(Optional.empty()).start(spec("c-aaaaaa", testClasses(), "crash"), output);

    assertThat(c.onExit().get(30, TimeUnit.SECONDS)).isEqualTo(3);
    assertThat(stdout).containsExactly("id=c-aaaaaa", "parent=" + ProcessHandle.current().pid());
    assertThat(stderr).hasSize(60).startsWith("err 1").endsWith("err 60");
    assertThat(c.stderrTail()).hasSize(50).startsWith("err 11").endsWith("err 60");
    assertThat(c.isAlive()).isFalse();
    assertThat(c.pid()).isPresent();
  }

  @Test
  void theJvmsOutOfMemoryNoticeJoinsTheStderrTail() throws Exception {
    ContainerHandle c =
        backend(Optional.empty()).start(spec("c-oooooo", testClasses(), "fake-oom"), output);

    assertThat(c.onExit().get(30, TimeUnit.SECONDS)).isEqualTo(3);
    assertThat(c.stderrTail())
        .containsExactlyInAnyOrder(
            "before", "Terminating due to java.lang.OutOfMemoryError: Java heap space");
  }

  @Test
  void killedContainerExitsWithTheSignal() throws Exception {
    ContainerHandle c =
        backend(Optional.empty()).start(spec("c-bbbbbb", testClasses(), "sleep"), output);
    await().atMost(Duration.ofSeconds(30)).until(() -> stdout.contains("sleeping"));

    c.kill();

    assertThat(c.onExit().get(30, TimeUnit.SECONDS)).isEqualTo(137);
  }

  @Test
  void closeEndsEveryContainerAndWaits() throws Exception {
    LocalProcessBackend b = backend(Optional.empty());
    ContainerHandle one = b.start(spec("c-cccccc", testClasses(), "sleep"), output);
    ContainerHandle two = b.start(spec("c-dddddd", testClasses(), "sleep"), output);

    b.close();

    assertThat(one.isAlive()).isFalse();
    assertThat(two.isAlive()).isFalse();
    assertThat(one.onExit().get(5, TimeUnit.SECONDS)).isIn(143, 137);
  }

  @Test
  void commandRunsTheEntrypointWithTheSerialCollectorAndTheArchive() {
    LocalProcessBackend b = backend(Optional.of(temp));
    ContainerSpec spec =
        new ContainerSpec("c-x", ClasspathEntry.hostPaths(List.of("/a.jar", "/b.jar")), Map.of());
    List<String> archive = List.of("-XX:SharedArchiveFile=" + temp.resolve("skiff-k.jsa"));
    List<String> command = b.command(spec, archive);
    assertThat(command)
        .startsWith(LocalProcessBackend.defaultJava().toString(), "-Dskiff.container=c-x")
        .contains("-XX:+ExitOnOutOfMemoryError", "-Xshare:auto", "-Xms8m")
        .containsSubsequence(archive)
        .endsWith("-cp", "/a.jar:/b.jar", ScriptedMain.class.getName())
        .doesNotContain("-XX:TieredStopAtLevel=1");
    if (Runtime.version().feature() >= 22) {
      assertThat(command).contains("--enable-native-access=ALL-UNNAMED");
    }
    assertThat(b.command(spec, List.of())).noneMatch(a -> a.startsWith("-XX:SharedArchiveFile"));
  }

  @Test
  void classpathsWithDirectoriesGetNoArchive() throws Exception {
    assertThat(ClassDataArchives.archivable(List.of(testClasses()))).isFalse();
    Path jar = Files.createFile(temp.resolve("x.jar"));
    assertThat(ClassDataArchives.archivable(List.of(jar.toString()))).isTrue();
  }

  @Test
  void archiveKeyChangesWhenAJarsContentChangesEvenWithTheSameSizeAndTime() throws Exception {
    ClassDataArchives archives =
        new ClassDataArchives(
            LocalProcessBackend.defaultJava(), Optional.of(temp), Optional.empty());
    var jdk =
        new ClassDataArchives.Jdk(
            LocalProcessBackend.defaultJava().getParent().getParent(), Runtime.version().feature());
    Path jar = temp.resolve("x.jar");
    Files.writeString(jar, "one");
    var modified = Files.getLastModifiedTime(jar);
    String before = archives.key(jdk, List.of(jar.toString()));
    assertThat(archives.key(jdk, List.of(jar.toString()))).isEqualTo(before);
    Files.writeString(jar, "two");
    Files.setLastModifiedTime(jar, modified);
    assertThat(archives.key(jdk, List.of(jar.toString()))).isNotEqualTo(before);
  }

  @Test
  void firstContainerOfAJarClasspathCreatesTheArchiveAndLaterOnesUseIt() throws Exception {
    Path jar = jarOfScriptedMain();
    Path cds = Files.createDirectories(temp.resolve("cds"));
    LocalProcessBackend b = backend(Optional.of(cds));

    ContainerHandle first = b.start(spec("c-eeeeee", jar.toString(), "exit"), output);
    assertThat(first.onExit().get(60, TimeUnit.SECONDS)).isZero();
    await() // the control plane dumps it after the first container exited
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              try (var files = Files.list(cds)) {
                assertThat(files.toList())
                    .singleElement()
                    .satisfies(p -> assertThat(p.toString()).endsWith(".jsa"));
              }
            });

    ContainerHandle second = b.start(spec("c-ffffff", jar.toString(), "crash"), output);
    assertThat(second.onExit().get(60, TimeUnit.SECONDS)).isEqualTo(3);
    assertThat(stderr).hasSize(60); // nothing from the JVM about the archive
  }

  private Path jarOfScriptedMain() throws IOException, URISyntaxException {
    Path jar = temp.resolve("scripted.jar");
    String entry = ScriptedMain.class.getName().replace('.', '/') + ".class";
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream j = new JarOutputStream(out)) {
      j.putNextEntry(new JarEntry(entry));
      j.write(Files.readAllBytes(Path.of(testClasses()).resolve(entry)));
      j.closeEntry();
    }
    return jar;
  }
}
