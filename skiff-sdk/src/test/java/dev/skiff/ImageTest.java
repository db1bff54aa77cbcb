package dev.skiff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Registry images: which references are accepted, and that nothing is built on top of one. */
class ImageTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "eclipse-temurin:21-jre",
        "ubuntu",
        "registry.example/team/jre:21",
        "localhost:5000/jre_21/base-image:v1.2",
        "ghcr.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "registry.example:443/a/b:21@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
      })
  void aValidReferenceIsTheImagesOnlyStep(String reference) {
    assertThat(Image.fromRegistry(reference).steps())
        .containsExactly(new Image.Step.Registry(reference));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "  ",
        "eclipse temurin:21",
        "jre:21\n",
        "UPPER/Case",
        "registry.example/team/jre:",
        "jre@sha256:abc",
        "a//b",
        "-jre:21",
        "https://registry.example/jre"
      })
  void aMalformedReferenceIsRefusedSayingWhatIsAllowed(String reference) {
    assertThatThrownBy(() -> Image.fromRegistry(reference))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("image: fromRegistry");
    assertThatThrownBy(() -> Image.fromRegistry("a b"))
        .hasMessageContaining("[registry[:port]/]name[/name...][:tag][@sha256:<64 hex digits>]");
  }

  @Test
  void envAndAnAbsoluteWorkdirMayFollowARegistryImage() {
    Image image = Image.fromRegistry("jre:21").env("MODE", "fast").workdir("/srv/app");
    assertThat(image.steps())
        .containsExactly(
            new Image.Step.Registry("jre:21"),
            new Image.Step.Env("MODE", "fast"),
            new Image.Step.Workdir("/srv/app"));
    assertThatThrownBy(() -> Image.fromRegistry("jre:21").workdir("app"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("must be an absolute path inside that image");
  }

  @Test
  void everyBuildStepOnARegistryImageIsRefusedAtTheCall() {
    Image base = Image.fromRegistry("registry.example/team/jre:21");
    for (UnaryOperator<Image> step :
        List.<UnaryOperator<Image>>of(
            i -> i.maven("org.example:lib:1.0"),
            i -> i.aptInstall("jq"),
            i -> i.addLocalFile(Path.of("a.txt"), "a.txt"),
            i -> i.addLocalDir(Path.of("dir"), "dir"),
            i -> i.runCommands("make"))) {
      assertThatThrownBy(() -> step.apply(base))
          .isInstanceOf(InvalidConfigurationException.class)
          .hasMessageContaining(
              "cannot follow Image.fromRegistry(\"registry.example/team/jre:21\")")
          .hasMessageContaining("Skiff does not build on top of a registry image")
          .hasMessageContaining("bake it into the image itself");
    }
  }
}
