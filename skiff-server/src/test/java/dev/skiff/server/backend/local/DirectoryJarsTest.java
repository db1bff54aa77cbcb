package dev.skiff.server.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Directories on a container's classpath as jars, so that the classpath can have an archive. */
class DirectoryJarsTest {
  @TempDir Path temp;

  private Path classes() throws Exception {
    Path dir = Files.createDirectories(temp.resolve("classes/com/example"));
    Files.writeString(dir.resolve("A.class"), "not really a class");
    Files.writeString(dir.resolve("app.properties"), "greeting=hi\n");
    return temp.resolve("classes");
  }

  @Test
  void aDirectoryBecomesAReproducibleJarOfWhatItHoldsAndJarsStayAsTheyAre() throws Exception {
    Path classes = classes();
    Path cache = temp.resolve("jars");
    DirectoryJars jars = new DirectoryJars(cache);

    List<String> jarred = jars.jarred(List.of(classes.toString(), "/lib/x.jar"));

    assertThat(jarred).hasSize(2).endsWith("/lib/x.jar");
    Path jar = Path.of(jarred.get(0));
    assertThat(jar.getParent()).isEqualTo(cache);
    try (JarFile j = new JarFile(jar.toFile())) {
      assertThat(j.stream().map(e -> e.getName()))
          .containsExactly(
              "com/", "com/example/", "com/example/A.class", "com/example/app.properties");
      assertThat(
              new String(
                  j.getInputStream(j.getEntry("com/example/app.properties")).readAllBytes(),
                  StandardCharsets.UTF_8))
          .isEqualTo("greeting=hi\n");
    }
    byte[] first = Files.readAllBytes(jar);
    FileTime firstTime = Files.getLastModifiedTime(jar);

    Files.delete(jar); // removed by a sweep, say: packed again, the same file
    assertThat(jars.jarred(List.of(classes.toString())).get(0)).isEqualTo(jar.toString());
    assertThat(Files.readAllBytes(jar)).isEqualTo(first);
    assertThat(Files.getLastModifiedTime(jar)).isEqualTo(firstTime);
  }

  @Test
  void aChangedFileGivesAnotherJar() throws Exception {
    Path classes = classes();
    DirectoryJars jars = new DirectoryJars(temp.resolve("jars"));
    String before = jars.jarred(List.of(classes.toString())).get(0);

    Files.writeString(classes.resolve("com/example/app.properties"), "greeting=hello\n");

    String after = jars.jarred(List.of(classes.toString())).get(0);
    assertThat(after).isNotEqualTo(before);
    try (JarFile j = new JarFile(after)) {
      assertThat(
              new String(
                  j.getInputStream(j.getEntry("com/example/app.properties")).readAllBytes(),
                  StandardCharsets.UTF_8))
          .isEqualTo("greeting=hello\n");
    }
  }

  @Test
  void aDirectoryWithALinkOrAManifestStaysADirectory() throws Exception {
    Path classes = classes();
    DirectoryJars jars = new DirectoryJars(temp.resolve("jars"));
    Path link =
        Files.createSymbolicLink(classes.resolve("com/example/B.class"), Path.of("A.class"));
    List<String> classpath = List.of(classes.toString(), "/lib/x.jar");

    assertThat(jars.jarred(classpath)).isSameAs(classpath);

    Files.delete(link);
    Files.createDirectories(classes.resolve("META-INF"));
    Files.writeString(classes.resolve("META-INF/MANIFEST.MF"), "Class-Path: other.jar\n");
    assertThat(jars.jarred(classpath)).isSameAs(classpath);
  }

  @Test
  void theSweepRemovesJarsUnusedForAWeekOrPastTheCap() throws Exception {
    Path cache = temp.resolve("jars");
    DirectoryJars jars = new DirectoryJars(cache);
    Path stale = Path.of(jars.jarred(List.of(classes().toString())).get(0));
    Files.setLastModifiedTime(
        stale.resolveSibling(stale.getFileName() + ".used"),
        FileTime.from(Instant.now().minus(Duration.ofDays(8))));
    Path other = Files.createDirectories(temp.resolve("other"));
    Files.writeString(other.resolve("C.class"), "x");
    Path used = Path.of(jars.jarred(List.of(other.toString())).get(0));

    jars.sweep(Instant.now(), 1); // over the cap, but the other was used just now

    assertThat(stale).doesNotExist();
    assertThat(stale.resolveSibling(stale.getFileName() + ".used")).doesNotExist();
    assertThat(used).exists();
  }
}
