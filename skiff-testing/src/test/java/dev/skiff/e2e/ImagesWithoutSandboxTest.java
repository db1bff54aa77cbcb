package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.App;
import dev.skiff.AppRun;
import dev.skiff.Function0;
import dev.skiff.Image;
import dev.skiff.ImageBuildException;
import dev.skiff.RunOptions;
import dev.skiff.testing.SkiffExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Without the sandbox, JDK images with relative paths work and what needs the sandbox (absolute
 * targets, Debian images) is refused before anything is built; so is a registry image, which the
 * local backend never runs.
 */
@Tag("e2e")
class ImagesWithoutSandboxTest {
  @RegisterExtension
  static final SkiffExtension skiff = SkiffExtension.builder().withoutSandbox().build();

  static final int JDK = Runtime.version().feature();

  static final App relative = App.named("images-plain");
  static final Function0<String> readRelative =
      relative.function(
          ImagesWithoutSandboxTest::readRelative,
          f ->
              f.image(Image.jdk(JDK).workdir("work").runCommands("echo from the build > out.txt")));

  static String readRelative() throws IOException {
    return Files.readString(Path.of("out.txt")).strip();
  }

  static final App absolute = App.named("images-plain-absolute");
  static final Function0<String> withAbsoluteTarget =
      absolute.function(
          ImagesWithoutSandboxTest::readRelative,
          f -> f.image(Image.jdk(JDK).addLocalFile(Path.of("pom.xml"), "/etc/skiff-pom.xml")));

  static final App debian = App.named("images-plain-debian");
  static final Function0<String> onDebian =
      debian.function(
          ImagesWithoutSandboxTest::readRelative,
          f -> f.image(Image.debianSlim().aptInstall("jq")));

  static final App registry = App.named("images-plain-registry");
  static final Function0<String> onRegistry =
      registry.function(
          ImagesWithoutSandboxTest::readRelative,
          f -> f.image(Image.fromRegistry("registry.example/team/jre:21")));

  @Test
  void aRegistryImageIsRefusedBeforeTheAppRunsSayingItNeedsTheKubernetesBackend() {
    assertThatThrownBy(() -> registry.run(RunOptions.quiet()))
        .isInstanceOfSatisfying(
            ImageBuildException.class,
            e -> {
              assertThat(e.step()).isEqualTo("fromRegistry(\"registry.example/team/jre:21\")");
              assertThat(e.getMessage())
                  .contains("image registry.example/team/jre:21 comes from a container registry")
                  .contains("--backend kubernetes");
            });
  }

  @Test
  void aJdkImageWithRelativePathsRunsAsAPlainProcess() {
    try (AppRun run = relative.run(RunOptions.quiet())) {
      assertThat(readRelative.remote()).isEqualTo("from the build");
    }
  }

  @Test
  void anAbsoluteTargetIsRefusedSayingItNeedsTheSandbox() {
    assertThatThrownBy(() -> absolute.run(RunOptions.quiet()))
        .isInstanceOfSatisfying(
            ImageBuildException.class,
            e -> {
              assertThat(e.step())
                  .startsWith("addLocalFile(")
                  .endsWith(", \"/etc/skiff-pom.xml\")");
              assertThat(e.getMessage())
                  .contains("an absolute target needs the container sandbox")
                  .contains("install bubblewrap");
            });
  }

  @Test
  void aDebianImageIsRefusedBeforeAnythingIsBuilt() {
    String[] before = images();
    assertThatThrownBy(() -> debian.run(RunOptions.quiet()))
        .isInstanceOfSatisfying(
            ImageBuildException.class,
            e -> {
              assertThat(e.step()).isEqualTo("debianSlim().aptInstall(\"jq\")");
              assertThat(e.getMessage())
                  .contains("run in the container sandbox, which is not available");
            });
    assertThat(images()).containsExactlyInAnyOrder(before);
  }

  /** What the images directory holds, lock files aside. */
  private static String[] images() {
    String[] names =
        skiff.dataDir().resolve("images").toFile().list((dir, name) -> !name.endsWith(".lock"));
    return names == null ? new String[0] : names;
  }
}
