package dev.skiff.server.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.VolumeMount;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.assertj.core.api.Assertions;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Volumes as directories under the data directory, checked before anything is created. */
class VolumeStoreTest {
  @TempDir Path dataDir;

  private static FunctionDef fn(String name, VolumeMount... mounts) {
    return FunctionDef.newBuilder().setName(name).addAllVolumes(List.of(mounts)).build();
  }

  private static VolumeMount mount(String path, String volume, boolean create) {
    return VolumeMount.newBuilder()
        .setPath(path)
        .setVolume(volume)
        .setCreateIfMissing(create)
        .build();
  }

  private static Status.Code code(Throwable t) {
    return ((StatusRuntimeException) t).getStatus().getCode();
  }

  @Test
  void prepareCreatesNothingWhenAnyVolumeIsMissing() {
    VolumeStore store = new VolumeStore(dataDir, Optional.empty());
    Throwable t =
        Assertions.catchThrowable(
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
        Assertions.catchThrowable(
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
                    "app", List.of(fn("f", mount("/x", "v", true), mount("/x", "w", true)))))
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
    assertThatThrownBy(() -> store.read("v", "link/f")).hasMessageContaining("symbolic link");
    assertThatThrownBy(() -> store.read("v", "link")).hasMessageContaining("symbolic link");
    store.remove("v", "link", false);
    assertThat(outside.resolve("f")).exists();
    assertThat(v.resolve("link")).doesNotExist();
  }

  @Test
  void aDirectorySwappedForALinkIsRefusedAtEveryOperationWhereverItPoints() throws Exception {
    VolumeStore store = new VolumeStore(dataDir, Optional.empty());
    store.create("v");
    Path v = dataDir.resolve("volumes/v");
    Path outside = Files.createDirectories(dataDir.resolve("outside"));
    Files.writeString(outside.resolve("f"), "secret");
    Files.createDirectories(v.resolve("a/d"));
    Files.writeString(v.resolve("a/d/f"), "inside");
    Files.createDirectories(v.resolve("kept"));
    Files.writeString(v.resolve("kept/f"), "inside");
    assertThat(store.read("v", "a/d/f")).hasContent("inside");

    // What a container does: the directory a/d becomes a link, here to outside the volume; and a
    // second link points inside the volume, which is not followed either.
    deleteTree(v.resolve("a/d"));
    Files.createSymbolicLink(v.resolve("a/d"), outside);
    Files.createSymbolicLink(v.resolve("in"), v.resolve("kept"));

    String through =
        "path 'a/d/f' in volume 'v' passes through the symbolic link 'a/d', which the"
            + " volume API does not follow";
    assertRefused(() -> store.read("v", "a/d/f"), through);
    assertRefused(() -> store.read("v", "/a/d/./f"), through);
    assertRefused(() -> store.checkWritable("v", "a/d/f"), through);
    assertRefused(() -> store.commit(upload(store, "planted"), "v", "a/d/f"), through);
    assertRefused(() -> store.remove("v", "a/d/f", false), through);
    assertRefused(
        () -> store.listFiles("v", "a/d", false),
        "path 'a/d' in volume 'v' is a symbolic link, which the volume API does not follow");
    assertRefused(
        () -> store.read("v", "in/f"),
        "path 'in/f' in volume 'v' passes through the symbolic link 'in', which the volume API does"
            + " not follow");
    assertRefused(
        () -> store.commit(upload(store, "planted"), "v", "in/g/h"),
        "path 'in/g/h' in volume 'v' passes through the symbolic link 'in', which the volume API"
            + " does not follow");

    assertThat(outside.resolve("f")).hasContent("secret");
    try (var files = Files.list(outside)) {
      assertThat(files).containsExactly(outside.resolve("f"));
    }
    assertThat(v.resolve("kept")).isDirectoryNotContaining(p -> !p.endsWith("f"));
    // Listing shows neither link nor anything behind it; removing a link removes only the link.
    assertThat(store.listFiles("v", "/", true))
        .extracting(VolumeStore.Entry::path)
        .containsExactly("a", "kept", "kept/f");
    store.remove("v", "a", true);
    store.remove("v", "in", false);
    assertThat(outside.resolve("f")).hasContent("secret");
    assertThat(v.resolve("kept/f")).hasContent("inside");
    store.delete("v");
    assertThat(outside.resolve("f")).hasContent("secret");
  }

  @Test
  void aHandleOpenedBeforeASwapStillNamesTheDirectoryItOpened() throws Exception {
    Path d = Files.createDirectories(dataDir.resolve("tree/d"));
    Path outside = Files.createDirectories(dataDir.resolve("outside"));
    Path staged = Files.writeString(dataDir.resolve("staged"), "new");
    try (SecureDirectoryStream<Path> root = ConfinedTree.openTrusted(dataDir.resolve("tree"));
        SecureDirectoryStream<Path> handle =
            ConfinedTree.walk(root, List.of("d"), Optional.empty())) {
      // Swapped between the check (the walk) and the use (the rename).
      Files.move(d, dataDir.resolve("moved-aside"));
      Files.createSymbolicLink(d, outside);
      ConfinedTree.moveInto(staged, handle, "f");
    }
    assertThat(dataDir.resolve("moved-aside/f")).hasContent("new");
    assertThat(outside).isEmptyDirectory();
  }

  private static Path upload(VolumeStore store, String content) throws Exception {
    return Files.writeString(store.newIncoming(), content);
  }

  private static void assertRefused(ThrowingCallable call, String message) {
    assertThatThrownBy(call)
        .isInstanceOf(StatusRuntimeException.class)
        .satisfies(t -> assertThat(code(t)).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .hasMessage("INVALID_ARGUMENT: " + message);
  }

  private static void deleteTree(Path top) throws Exception {
    try (var paths = Files.walk(top)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
