package dev.skiff.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.VolumeMount;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Volumes as directories under the data directory, checked before anything is created. */
class VolumeStoreTest {
  @TempDir Path dataDir;

  private static FunctionDef fn(String name, VolumeMount... mounts) {
    return FunctionDef.newBuilder().setName(name).addAllVolumes(List.of(mounts)).build();
  }

  private static VolumeMount mount(String path, String volume, boolean create) {
    return VolumeMount.newBuilder().setPath(path).setVolume(volume).setCreateIfMissing(create).build();
  }

  private static Status.Code code(Throwable t) {
    return ((StatusRuntimeException) t).getStatus().getCode();
  }

  @Test
  void prepareCreatesNothingWhenAnyVolumeIsMissing() {
    VolumeStore store = new VolumeStore(dataDir, Optional.empty());
    Throwable t =
        org.assertj.core.api.Assertions.catchThrowable(
            () ->
                store.prepare(
                    "app",
                    List.of(
                        fn("a", mount("/cache", "made", true)),
                        fn("b", mount("/data", "absent", false)))));
    assertThat(code(t)).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(t).hasMessageContaining("volume 'absent'").hasMessageContaining("function 'b'");
    assertThat(store.exists("made")).isFalse();

    store.prepare("app", List.of(fn("a", mount("/cache", "made", true))));
    assertThat(dataDir.resolve("volumes/made")).isDirectory();
  }

  @Test
  void withoutTheSandboxAFunctionWithAVolumeIsRefusedSayingWhy() {
    VolumeStore store = new VolumeStore(dataDir, Optional.of("bwrap is missing; install it"));
    Throwable t =
        org.assertj.core.api.Assertions.catchThrowable(
            () -> store.prepare("app", List.of(fn("a", mount("/cache", "v", true)))));
    assertThat(code(t)).isEqualTo(Status.Code.UNIMPLEMENTED);
    assertThat(t).hasMessageContaining("needs the container sandbox: bwrap is missing");
    assertThat(store.exists("v")).isFalse();
    store.prepare("app", List.of(fn("plain"))); // functions without volumes are fine
  }

  @Test
  void mountPathsAndNamesAreChecked() {
    VolumeStore store = new VolumeStore(dataDir, Optional.empty());
    for (String bad : List.of("cache", "/tmp", "/", "/a/../b", "/a/", "/a//b", "/proc")) {
      assertThatThrownBy(() -> store.prepare("app", List.of(fn("f", mount(bad, "v", true)))))
          .as(bad)
          .satisfies(t -> assertThat(code(t)).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }
    assertThatThrownBy(
            () ->
                store.prepare(
                    "app",
                    List.of(fn("f", mount("/x", "v", true), mount("/x", "w", true)))))
        .hasMessageContaining("two volumes at /x");
    assertThatThrownBy(() -> store.create("../up"))
        .satisfies(t -> assertThat(code(t)).isEqualTo(Status.Code.INVALID_ARGUMENT));
    assertThat(store.list()).isEmpty();
  }

  @Test
  void pathsAreNormalisedAndDotDotIsRefused() {
    assertThat(VolumeStore.normalise("/a//b/./c/")).isEqualTo("a/b/c");
    assertThat(VolumeStore.normalise("/")).isEmpty();
    assertThatThrownBy(() -> VolumeStore.normalise("a/../../b"))
        .satisfies(t -> assertThat(code(t)).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  @Test
  void aLinkOutOfTheVolumeIsNotFollowed() throws Exception {
    VolumeStore store = new VolumeStore(dataDir, Optional.empty());
    store.create("v");
    Path v = dataDir.resolve("volumes/v");
    Path outside = Files.createDirectories(dataDir.resolve("outside"));
    Files.writeString(outside.resolve("f"), "secret");
    Files.createSymbolicLink(v.resolve("link"), outside);
    assertThatThrownBy(() -> store.file("v", "link/f")).hasMessageContaining("symbolic link");
    assertThatThrownBy(() -> store.resolve("v", "link")).hasMessageContaining("symbolic link");
    store.remove("v", "link", false);
    assertThat(outside.resolve("f")).exists();
    assertThat(v.resolve("link")).doesNotExist();
  }
}
