package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skiff.App;
import dev.skiff.AppRun;
import dev.skiff.ContainerStatus;
import dev.skiff.Function0;
import dev.skiff.Function1;
import dev.skiff.Image;
import dev.skiff.ImageBuildException;
import dev.skiff.RunOptions;
import dev.skiff.testing.SkiffExtension;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Images on the node's JDKs: Maven libraries the caller does not have, files, environment, working
 * directory and build commands; cached by recipe; failed steps reported with their output.
 */
@Tag("e2e")
class ImagesTest {
  /** Builds its images afresh (the default): building them is what this class tests. */
  @RegisterExtension static final SkiffExtension skiff = SkiffExtension.create();

  static final int JDK = Runtime.version().feature();
  static final String COMMONS_TEXT = "org.apache.commons.text.WordUtils";

  static final Path LOCAL =
      Path.of(
          System.getProperty("java.io.tmpdir"),
          "skiff-images-test-" + ProcessHandle.current().pid());

  // ------------------------------------------------------------------ a Maven library

  static final App maven = App.named("images-maven");
  static final Function1<String, String> capitalize =
      maven.function(
          ImagesTest::capitalize,
          f -> f.image(Image.jdk(JDK).maven("org.apache.commons:commons-text:1.12.0")));

  /** Uses commons-text, which only the image has: loaded by name, when the function runs. */
  static String capitalize(String s) throws ReflectiveOperationException {
    return (String)
        Class.forName(COMMONS_TEXT).getMethod("capitalizeFully", String.class).invoke(null, s);
  }

  @Test
  void aMavenLibraryAbsentFromTheCallerRunsRemotelyAndTheSecondRunReusesTheImage()
      throws IOException {
    assertThatThrownBy(() -> Class.forName(COMMONS_TEXT))
        .as("commons-text must not be on the test's classpath")
        .isInstanceOf(ClassNotFoundException.class);

    List<Path> before = images();
    long first = System.nanoTime();
    String firstOutput;
    String value;
    try (Captured out = Captured.stdout();
        AppRun run = maven.run(RunOptions.quiet().withLogs(true))) {
      value = capitalize.remote("hello from the image");
      firstOutput = out.text();
    }
    long firstMillis = (System.nanoTime() - first) / 1_000_000;
    assertThat(value).isEqualTo("Hello From The Image");
    assertThat(firstOutput)
        .contains("building image")
        .contains("resolved org.apache.commons:commons-text:jar:1.12.0");
    List<Path> images = new ArrayList<>(images());
    images.removeAll(before);
    assertThat(images).hasSize(1);
    FileTime built = Files.getLastModifiedTime(images.get(0).resolve("image.pb"));

    long second = System.nanoTime();
    String secondOutput;
    try (Captured out = Captured.stdout();
        AppRun run = maven.run(RunOptions.quiet().withLogs(true))) {
      value = capitalize.remote("second run");
      secondOutput = out.text();
    }
    long secondMillis = (System.nanoTime() - second) / 1_000_000;
    assertThat(value).isEqualTo("Second Run");
    assertThat(secondOutput).contains("using the cached image").doesNotContain("building image");
    assertThat(images()).hasSize(before.size() + 1);
    assertThat(Files.getLastModifiedTime(images.get(0).resolve("image.pb"))).isEqualTo(built);
    System.out.println(
        "image with commons-text: first run (build + cold start + call) "
            + firstMillis
            + " ms, second run (cached) "
            + secondMillis
            + " ms");
  }

  // ------------------------------------------------------------------ the warm pool

  static final App pooled = App.named("images-pooled");
  static final Function0<String> whoServes =
      pooled.function(ImagesTest::whoServes, f -> f.image(Image.jdk(JDK).env("POOLED", "yes")));

  /** The container that runs it, and an environment variable only its image sets. */
  static String whoServes() {
    return System.getProperty("skiff.container") + "|" + System.getenv("POOLED");
  }

  @Test
  void aFunctionOnAnImageTakesAWarmContainerStartedOnThatImage() {
    try (AppRun run = pooled.run(RunOptions.quiet())) {
      // One warm container, on the image: the app has no function that could take another.
      List<String> warm =
          await()
              .atMost(Duration.ofSeconds(60))
              .until(
                  () ->
                      run.warmContainers().stream()
                          .filter(c -> c.state() == ContainerStatus.State.WARM)
                          .map(ContainerStatus::id)
                          .toList(),
                  ids -> ids.size() == 1);

      String[] served = whoServes.remote().split("\\|");

      assertThat(warm).contains(served[0]);
      assertThat(served[1]).isEqualTo("yes");
    }
  }

  // ------------------------------------------------------------------ files, env, workdir,
  // commands

  static final App files = App.named("images-files");
  static final Function0<String> describe =
      files.function(
          ImagesTest::describe,
          f ->
              f.image(
                  Image.jdk(JDK)
                      .env("GREETING", "hello from env")
                      .addLocalFile(LOCAL.resolve("note.txt"), "conf/note.txt")
                      .addLocalDir(LOCAL.resolve("dir"), "data")
                      .workdir("app")
                      .runCommands(
                          "echo \"built with $GREETING\" > generated.txt",
                          "cat ../conf/note.txt >> generated.txt",
                          "java -version 2>&1 | head -1 > java.txt")));

  static String describe() throws IOException {
    Path here = Path.of("").toAbsolutePath();
    return String.join(
        "|",
        System.getenv("GREETING"),
        Files.readString(Path.of("generated.txt")).strip().replace('\n', ';'),
        Files.readString(here.resolve("../conf/note.txt")).strip(),
        Files.readString(here.resolve("../data/sub/x.txt")).strip(),
        here.getFileName().toString(),
        Files.readString(Path.of("java.txt")).strip());
  }

  @Test
  void envFilesWorkdirAndBuildCommandsShapeTheContainer() throws IOException {
    Files.createDirectories(LOCAL.resolve("dir/sub"));
    Files.writeString(LOCAL.resolve("note.txt"), "a note");
    Files.writeString(LOCAL.resolve("dir/sub/x.txt"), "x in a dir");
    try (AppRun run = files.run(RunOptions.quiet())) {
      String[] parts = describe.remote().split("\\|", -1);
      assertThat(parts[0]).isEqualTo("hello from env");
      assertThat(parts[1]).isEqualTo("built with hello from env;a note");
      assertThat(parts[2]).isEqualTo("a note");
      assertThat(parts[3]).isEqualTo("x in a dir");
      assertThat(parts[4]).isEqualTo("app");
      assertThat(parts[5]).contains("version \"" + JDK);
    }
  }

  @Test
  void changingAnAddedFileBuildsANewImage() throws IOException {
    Files.createDirectories(LOCAL.resolve("dir/sub"));
    Files.writeString(LOCAL.resolve("dir/sub/x.txt"), "x in a dir");
    Files.writeString(LOCAL.resolve("note.txt"), "version one");
    try (AppRun run = files.run(RunOptions.quiet())) {
      assertThat(describe.remote()).contains("|version one|");
    }
    int before = images().size();
    Files.writeString(LOCAL.resolve("note.txt"), "version two");
    try (AppRun run = files.run(RunOptions.quiet())) {
      assertThat(describe.remote()).contains("|version two|");
    }
    assertThat(images()).hasSize(before + 1);
  }

  // ------------------------------------------------------------------ failures

  static final App broken = App.named("images-broken");
  static final Function0<String> neverRuns =
      broken.function(
          ImagesTest::unreachable,
          f ->
              f.image(
                  Image.jdk(JDK)
                      .runCommands("echo step one is fine")
                      .runCommands("echo compiling; echo 'error: no such file' >&2; exit 3")));

  static String unreachable() {
    return "this function's image never builds";
  }

  @Test
  void aBrokenBuildCommandFailsTheRunWithItsOutput() throws IOException {
    List<Path> before = images();
    assertThatThrownBy(() -> broken.run(RunOptions.quiet()))
        .isInstanceOfSatisfying(
            ImageBuildException.class,
            e -> {
              assertThat(e.step())
                  .isEqualTo(
                      "runCommands(\"echo compiling; echo 'error: no such file' >&2; exit 3\")");
              assertThat(e.output()).contains("compiling").contains("error: no such file");
              assertThat(e.getMessage())
                  .contains("exited with status 3")
                  .contains("error: no such file");
            });
    assertThat(images()).as("a failed build leaves no image behind").isEqualTo(before);
    try (Stream<Path> list = Files.list(skiff.dataDir().resolve("images"))) {
      assertThat(list.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".build-"));
    }
  }

  static final App missingJdk = App.named("images-missing-jdk");
  static final Function0<String> onJdk99 =
      missingJdk.function(ImagesTest::unreachable, f -> f.image(Image.jdk(99)));

  @Test
  void aJdkThatIsNotInstalledIsNamedWithThoseThatAre() {
    assertThatThrownBy(() -> missingJdk.run(RunOptions.quiet()))
        .isInstanceOfSatisfying(
            ImageBuildException.class,
            e -> {
              assertThat(e.step()).isEqualTo("jdk(99)");
              assertThat(e.getMessage())
                  .contains("JDK 99 is not installed on this node")
                  .contains("JDK " + JDK + " (");
            });
  }

  static final App badCoordinate = App.named("images-bad-coordinate");
  static final Function0<String> onMissingArtifact =
      badCoordinate.function(
          ImagesTest::unreachable,
          f -> f.image(Image.jdk(JDK).maven("dev.skiff.nonexistent:no-such-artifact:0.0.1")));

  @Test
  void aCoordinateThatDoesNotResolveIsNamed() {
    assertThatThrownBy(() -> badCoordinate.run(RunOptions.quiet()))
        .isInstanceOfSatisfying(
            ImageBuildException.class,
            e -> {
              assertThat(e.step())
                  .isEqualTo("maven(\"dev.skiff.nonexistent:no-such-artifact:0.0.1\")");
              assertThat(e.getMessage()).contains("dev.skiff.nonexistent:no-such-artifact");
            });
  }

  static final App absolute = App.named("images-absolute");
  static final Function0<String> readAbsolute =
      absolute.function(
          ImagesTest::readAbsolute,
          f ->
              f.image(
                  Image.jdk(JDK)
                      .addLocalFile(LOCAL.resolve("note.txt"), "/etc/skiff-image/note.txt")
                      .addLocalDir(LOCAL.resolve("dir"), "/opt/skiff-image/data")));

  static String readAbsolute() throws IOException {
    Path note = Path.of("/etc/skiff-image/note.txt");
    return Files.readString(note).strip()
        + "|"
        + Files.readString(Path.of("/opt/skiff-image/data/sub/x.txt")).strip()
        + "|"
        + Files.isWritable(note);
  }

  @Test
  void filesAddedAtAbsolutePathsAreThereReadOnlyInTheSandbox() throws IOException {
    Files.createDirectories(LOCAL.resolve("dir/sub"));
    Files.writeString(LOCAL.resolve("note.txt"), "absolute note");
    Files.writeString(LOCAL.resolve("dir/sub/x.txt"), "x in a dir");
    try (AppRun run = absolute.run(RunOptions.quiet())) {
      assertThat(readAbsolute.remote()).isEqualTo("absolute note|x in a dir|false");
    }
  }

  // ------------------------------------------------------------------ helpers

  /** The built images in the control plane's data directory. */
  static List<Path> images() {
    Path dir = skiff.dataDir().resolve("images");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> list = Files.list(dir)) {
      return list.filter(Files::isDirectory)
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @AfterAll
  static void removeLocalFiles() throws IOException {
    if (Files.exists(LOCAL)) {
      try (Stream<Path> walk = Files.walk(LOCAL)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  /** Tees System.out into a buffer while open. */
  static final class Captured implements AutoCloseable {
    private final PrintStream original = System.out;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

    static Captured stdout() {
      Captured c = new Captured();
      PrintStream tee =
          new PrintStream(
              new OutputStream() {
                @Override
                public void write(int b) {
                  c.original.write(b);
                  synchronized (c.buffer) {
                    c.buffer.write(b);
                  }
                }

                @Override
                public void write(byte[] b, int off, int len) {
                  c.original.write(b, off, len);
                  synchronized (c.buffer) {
                    c.buffer.write(b, off, len);
                  }
                }
              },
              true,
              StandardCharsets.UTF_8);
      System.setOut(tee);
      return c;
    }

    String text() {
      synchronized (buffer) {
        return buffer.toString(StandardCharsets.UTF_8);
      }
    }

    @Override
    public void close() {
      System.setOut(original);
    }
  }
}
