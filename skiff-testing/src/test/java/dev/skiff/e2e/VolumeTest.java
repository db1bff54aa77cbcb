package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skiff.AppRun;
import dev.skiff.FunctionCall;
import dev.skiff.InvalidConfigurationException;
import dev.skiff.NotFoundException;
import dev.skiff.RunOptions;
import dev.skiff.SkiffException;
import dev.skiff.Volume;
import dev.skiff.VolumeEntry;
import dev.skiff.testing.SkiffExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Volumes: persistent across containers and runs, writes visible at once to other containers and to
 * the client API, which works with them from outside (list, read, write, upload, download, remove)
 * and refuses paths that leave the volume.
 */
@Tag("e2e")
class VolumeTest {
  @RegisterExtension static final SkiffExtension skiff = SkiffExtension.create();

  private static final Duration WAIT = Duration.ofSeconds(60);

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aFileWrittenByOneCallIsReadByAnotherContainerAndAfterTheAppRestarts() {
    try (AppRun run = VolumeFns.app.run(RunOptions.quiet())) {
      assertThat(VolumeFns.write.remote("x", "cached value")).isEqualTo("wrote x");
      assertThat(VolumeFns.read.remote("x"))
          .isEqualTo("cached value"); // another function's container
      assertThat(run.status())
          .filteredOn(f -> f.name().equals("writeCache") || f.name().equals("readCache"))
          .allSatisfy(f -> assertThat(f.containers()).hasSize(1));
    }
    try (AppRun again = VolumeFns.app.run(RunOptions.quiet())) {
      assertThat(VolumeFns.read.remote("x")).isEqualTo("cached value");
    }
    // The client API sees it too, from outside any container.
    Volume cache = Volume.fromName(VolumeFns.CACHE);
    assertThat(Volume.list()).contains(VolumeFns.CACHE);
    assertThat(cache.listFiles("/")).extracting(VolumeEntry::path).contains("x");
    assertThat(cache.read("/x")).isEqualTo(utf8("cached value"));
    assertThat(skiff.dataDir().resolve("volumes").resolve(VolumeFns.CACHE).resolve("x"))
        .hasContent("cached value");
  }

  @Test
  void aWriteIsVisibleToOtherContainersAndTheClientWhileItsContainerRunsOn(@TempDir Path dir)
      throws Exception {
    Path release = dir.resolve("release");
    try (AppRun run = VolumeFns.app.run(RunOptions.quiet())) {
      FunctionCall<String> writer = VolumeFns.writeAndWait.spawn("early", release.toString());
      try {
        // No commit, no reload: another container and the client see the file as soon as the
        // writer wrote it, while the writer's call has not returned (it waits for the release).
        await()
            .atMost(WAIT)
            .until(() -> VolumeFns.read.remote("early").equals("written before release"));
        assertThat(Volume.fromName(VolumeFns.CACHE).read("early"))
            .isEqualTo(utf8("written before release"));
      } finally {
        Files.writeString(release, "go");
      }
      assertThat(writer.get(WAIT)).isEqualTo("released");
    }
  }

  @Test
  void aVolumeThatDoesNotExistFailsAtRunNamingIt() {
    assertThatThrownBy(() -> VolumeFns.missingApp.run(RunOptions.quiet()))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("volume 'never-created'")
        .hasMessageContaining("/cache")
        .hasMessageContaining("createIfMissing");
    assertThat(Volume.list()).doesNotContain("never-created");
  }

  @Test
  void theClientApiWritesUploadsListsDownloadsAndRemoves(@TempDir Path dir) throws IOException {
    Volume v = Volume.fromName("client-api").create();
    assertThatThrownBy(v::create)
        .isInstanceOf(SkiffException.class)
        .hasMessageContaining("already exists");

    v.write("/notes/a.txt", utf8("alpha"));
    Path local = dir.resolve("local");
    Files.createDirectories(local.resolve("sub"));
    Files.writeString(local.resolve("b.txt"), "beta");
    Files.writeString(local.resolve("sub/c.txt"), "gamma");
    v.upload(local, "/up");
    v.upload(local.resolve("b.txt"), "single.txt");

    assertThat(v.listFiles("/"))
        .extracting(VolumeEntry::path, VolumeEntry::directory)
        .containsExactly(
            Tuple.tuple("notes", true), Tuple.tuple("single.txt", false), Tuple.tuple("up", true));
    assertThat(v.listFilesRecursively("up"))
        .extracting(VolumeEntry::path)
        .containsExactly("up/b.txt", "up/sub", "up/sub/c.txt");
    VolumeEntry a = v.listFiles("notes").get(0);
    assertThat(a.size()).isEqualTo(5);
    assertThat(a.modified()).isNotNull();
    assertThat(v.read("up/sub/c.txt")).isEqualTo(utf8("gamma"));

    Path back = dir.resolve("back");
    v.download("up", back);
    assertThat(back.resolve("b.txt")).hasContent("beta");
    assertThat(back.resolve("sub/c.txt")).hasContent("gamma");
    v.download("notes/a.txt", dir.resolve("a-copy.txt"));
    assertThat(dir.resolve("a-copy.txt")).hasContent("alpha");

    // A large file goes in several chunks and comes back the same.
    byte[] big = new byte[3 * 1024 * 1024 + 17];
    Arrays.fill(big, (byte) 7);
    big[big.length - 1] = 9;
    v.write("big.bin", big);
    assertThat(v.read("big.bin")).isEqualTo(big);
    v.write("empty", new byte[0]);
    assertThat(v.read("empty")).isEmpty();

    assertThatThrownBy(() -> v.remove("up", false))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("not empty");
    v.remove("up", true);
    v.remove("single.txt", false);
    assertThat(v.listFiles("/"))
        .extracting(VolumeEntry::path)
        .containsExactly("big.bin", "empty", "notes");
    assertThatThrownBy(() -> v.read("single.txt")).isInstanceOf(NotFoundException.class);

    Volume.delete("client-api");
    assertThat(Volume.list()).doesNotContain("client-api");
    assertThatThrownBy(() -> v.read("notes/a.txt"))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("volume 'client-api' does not exist");
    assertThatThrownBy(() -> Volume.delete("client-api")).isInstanceOf(NotFoundException.class);
  }

  @Test
  void writeCreatesAVolumeMarkedCreateIfMissingAndNoOtherOperationDoes() {
    assertThatThrownBy(() -> Volume.fromName("lazy").write("f", utf8("1")))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("volume 'lazy' does not exist");
    Volume.fromName("lazy").createIfMissing().write("f", utf8("1"));
    assertThat(Volume.fromName("lazy").read("f")).isEqualTo(utf8("1"));
  }

  @Test
  void pathsThatLeaveTheVolumeAreRefused() {
    Volume v = Volume.fromName("escape").create();
    v.write("inside.txt", utf8("in"));
    assertThatThrownBy(() -> v.read("../escape/inside.txt"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("'..'");
    assertThatThrownBy(() -> v.write("a/../../x", utf8("no")))
        .isInstanceOf(InvalidConfigurationException.class);
    assertThatThrownBy(() -> v.remove("..", true))
        .isInstanceOf(InvalidConfigurationException.class);
    assertThatThrownBy(() -> v.remove("/", true))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("delete the volume instead");
    assertThatThrownBy(() -> Volume.fromName("../x"))
        .isInstanceOf(InvalidConfigurationException.class);
    assertThat(v.listFiles("/")).extracting(VolumeEntry::path).containsExactly("inside.txt");
  }

  @Test
  void aSymbolicLinkMadeInAContainerDoesNotLetTheClientApiOutOfTheVolume() {
    try (AppRun run = VolumeFns.app.run(RunOptions.quiet())) {
      VolumeFns.link.remote("out", skiff.dataDir().toString());
      VolumeFns.link.remote("etc", "/etc");
    }
    Volume cache = Volume.fromName(VolumeFns.CACHE);
    assertThatThrownBy(() -> cache.read("etc/passwd"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("symbolic link");
    assertThatThrownBy(() -> cache.write("out/volumes/planted", utf8("x")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("symbolic link");
    assertThatThrownBy(() -> cache.listFiles("etc"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("symbolic link");
    assertThatThrownBy(() -> cache.read("etc"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("symbolic link");
    assertThat(skiff.dataDir().resolve("volumes/planted")).doesNotExist();
    // Listing skips links rather than following them.
    assertThat(cache.listFilesRecursively("/"))
        .extracting(VolumeEntry::path)
        .doesNotContain("etc", "out");
    cache.remove("etc", false); // removes the link itself, not /etc
    cache.remove("out", false);
    assertThat(skiff.dataDir()).exists();
  }

  private static String notFollowed(String path, String link) {
    return (path.equals(link)
            ? "path '" + path + "' in volume '" + VolumeFns.CACHE + "' is a symbolic link"
            : "path '"
                + path
                + "' in volume '"
                + VolumeFns.CACHE
                + "' passes through the symbolic link '"
                + link
                + "'")
        + ", which the volume API does not follow";
  }

  @Test
  void aDirectoryAContainerSwapsForALinkToTheHostIsNeverFollowed(@TempDir Path outside)
      throws IOException {
    Files.writeString(outside.resolve("marker"), "host secret");
    Volume cache = Volume.fromName(VolumeFns.CACHE).createIfMissing();
    cache.write("swapped/marker", utf8("inside"));
    try (AppRun run = VolumeFns.app.run(RunOptions.quiet())) {
      assertThat(VolumeFns.swapForLink.remote("swapped", outside.toString())).isEqualTo("swapped");
    }
    assertThat(skiff.dataDir().resolve("volumes").resolve(VolumeFns.CACHE).resolve("swapped"))
        .isSymbolicLink();

    String through = notFollowed("swapped/marker", "swapped");
    assertThatThrownBy(() -> cache.read("swapped/marker"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage(through);
    assertThatThrownBy(() -> cache.listFiles("swapped"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage(notFollowed("swapped", "swapped"));
    assertThatThrownBy(() -> cache.write("swapped/marker", utf8("overwritten")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage(through);
    assertThatThrownBy(() -> cache.write("swapped/new/planted", utf8("planted")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage(notFollowed("swapped/new/planted", "swapped"));
    assertThatThrownBy(() -> cache.remove("swapped/marker", false))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage(through);

    assertThat(outside.resolve("marker")).hasContent("host secret");
    try (var files = Files.list(outside)) {
      assertThat(files).containsExactly(outside.resolve("marker"));
    }
    cache.remove("swapped", false); // the link itself
    assertThat(outside.resolve("marker")).hasContent("host secret");
  }

  @Test
  void aLinkSwappedWhileTheClientWorksIsNeverFollowed(@TempDir Path dir) throws Exception {
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.writeString(outside.resolve("marker"), "host secret");
    Path release = dir.resolve("release");
    Volume cache = Volume.fromName(VolumeFns.CACHE).createIfMissing();
    cache.write("flip-inside/marker", utf8("inside"));
    Path link = skiff.dataDir().resolve("volumes").resolve(VolumeFns.CACHE).resolve("flip");
    try (AppRun run = VolumeFns.app.run(RunOptions.quiet())) {
      // The container keeps renaming a fresh link over 'flip': to the directory 'flip-inside' of
      // the volume, then to the host directory, and again; a path checked and then used by name
      // would sooner or later be used through the other link than the one checked.
      FunctionCall<Integer> flipper =
          VolumeFns.flipLink.spawn("flip", "flip-inside", outside.toString(), release.toString());
      try {
        await().atMost(WAIT).until(() -> Files.isSymbolicLink(link));
        String through = notFollowed("flip/marker", "flip");
        for (int i = 0; i < 200; i++) {
          assertThatThrownBy(() -> cache.read("flip/marker"))
              .isInstanceOf(InvalidConfigurationException.class)
              .hasMessage(through);
          assertThatThrownBy(() -> cache.write("flip/marker", utf8("overwritten")))
              .isInstanceOf(InvalidConfigurationException.class)
              .hasMessage(through);
          assertThatThrownBy(() -> cache.listFiles("flip"))
              .isInstanceOf(InvalidConfigurationException.class)
              .hasMessage(notFollowed("flip", "flip"));
          assertThatThrownBy(() -> cache.remove("flip/marker", false))
              .isInstanceOf(InvalidConfigurationException.class)
              .hasMessage(through);
        }
      } finally {
        Files.writeString(release, "go");
      }
      assertThat(flipper.get(WAIT)).isPositive();
    }
    assertThat(outside.resolve("marker")).hasContent("host secret");
    assertThat(cache.read("flip-inside/marker")).isEqualTo(utf8("inside"));
    cache.remove("flip", false);
    cache.remove("flip-inside", true);
  }
}
