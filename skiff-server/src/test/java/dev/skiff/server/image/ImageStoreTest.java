package dev.skiff.server.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.skiff.proto.AddLocalStep;
import dev.skiff.proto.ImageEnvStep;
import dev.skiff.proto.ImageFile;
import dev.skiff.proto.ImageRecipe;
import dev.skiff.proto.ImageStep;
import dev.skiff.proto.StringList;
import dev.skiff.server.backend.Capabilities;
import dev.skiff.server.backend.Capability;
import dev.skiff.server.backend.ImageResolver;
import dev.skiff.server.backend.ShippedImage;
import dev.skiff.server.store.SharedBytes;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The image cache: ids by recipe, atomic builds, one build per recipe at a time. */
class ImageStoreTest {
  static final int JDK = Runtime.version().feature();

  @TempDir Path data;

  ImageStore store() {
    return new ImageStore(
        data.resolve("images"),
        data.resolve("maven"),
        InstalledJdks.of(List.of(Path.of(System.getProperty("java.home")))),
        Clock.systemUTC());
  }

  static ImageRecipe recipe(String... commands) {
    ImageRecipe.Builder r = ImageRecipe.newBuilder().addSteps(ImageStep.newBuilder().setJdk(JDK));
    if (commands.length > 0) {
      r.addSteps(
          ImageStep.newBuilder()
              .setRunCommands(StringList.newBuilder().addAllValues(List.of(commands))));
    }
    return r.build();
  }

  static ImageRecipe withFile(String content) {
    return recipe().toBuilder()
        .addSteps(
            ImageStep.newBuilder()
                .setAddLocal(
                    AddLocalStep.newBuilder()
                        .setSource("/src/a.txt")
                        .setTarget("a.txt")
                        .addFiles(
                            ImageFile.newBuilder().setContent(ByteString.copyFromUtf8(content)))))
        .build();
  }

  @Test
  void theIdDependsOnTheStepsAndTheContentOfAddedFiles() {
    assertThat(RecipeHash.of(recipe("true"))).isEqualTo(RecipeHash.of(recipe("true")));
    assertThat(RecipeHash.of(recipe("true"))).isNotEqualTo(RecipeHash.of(recipe("false")));
    assertThat(RecipeHash.of(withFile("one"))).isNotEqualTo(RecipeHash.of(withFile("two")));
    assertThat(RecipeHash.of(recipe("a", "b"))).isNotEqualTo(RecipeHash.of(recipe("ab")));
    assertThat(RecipeHash.of(recipe())).matches("[0-9a-f]{" + RecipeHash.ID_LENGTH + "}");
  }

  static ImageRecipe registry(String reference) {
    return ImageRecipe.newBuilder()
        .addSteps(ImageStep.newBuilder().setRegistry(reference))
        .addSteps(
            ImageStep.newBuilder()
                .setEnv(ImageEnvStep.newBuilder().setName("GREETING").setValue("hello")))
        .addSteps(ImageStep.newBuilder().setWorkdir("/srv/app"))
        .build();
  }

  @Test
  void aRegistryImageIsRecordedNotBuiltWithItsEnvironmentAndWorkingDirectory() {
    ImageStore.Result result = store().build(registry("registry.example/team/jre:21"), line -> {});

    assertThat(result.image().id())
        .isEqualTo(RecipeHash.of(registry("registry.example/team/jre:21")));
    assertThat(result.image().registryImage()).contains("registry.example/team/jre:21");
    assertThat(result.image().env()).containsExactly(Map.entry("GREETING", "hello"));
    assertThat(result.image().workdir()).isEqualTo("/srv/app");
    assertThat(store().find(result.image().id()).flatMap(BuiltImage::registryImage))
        .contains("registry.example/team/jre:21");
    assertThat(RecipeHash.of(registry("a/jre:21")))
        .isNotEqualTo(RecipeHash.of(registry("a/jre:22")));
  }

  @Test
  void aBuildStepOnARegistryImageIsRefused() {
    ImageRecipe recipe =
        registry("jre:21").toBuilder()
            .addSteps(
                ImageStep.newBuilder().setRunCommands(StringList.newBuilder().addValues("make")))
            .build();
    assertThatThrownBy(() -> store().build(recipe, line -> {}))
        .isInstanceOf(ImageBuildFailure.class)
        .hasMessageContaining("Skiff does not build on top of a registry image")
        .hasMessageContaining("bake this step into the image");
  }

  @Test
  void aRegistryImageIsRefusedWhereTheBackendCannotRunItEvenWhenRecordedInASharedCache()
      throws IOException {
    String why =
        "the local backend runs containers as processes on this machine and cannot pull and run"
            + " an image of a container registry; start the server with --backend kubernetes";
    ImageStore local =
        new ImageStore(
            data.resolve("images"),
            data.resolve("maven"),
            InstalledJdks.of(List.of(Path.of(System.getProperty("java.home")))),
            Clock.systemUTC(),
            Capabilities.all().without(Capability.REGISTRY_IMAGE, why),
            SharedBytes.none());

    Files.createDirectories(data.resolve("images"));
    assertThatThrownBy(() -> local.build(registry("registry.example/team/jre:21"), line -> {}))
        .isInstanceOf(ImageBuildFailure.class)
        .hasMessageContaining("image registry.example/team/jre:21 comes from a container registry")
        .hasMessageContaining("--backend kubernetes");
    try (var left = Files.list(data.resolve("images"))) {
      assertThat(left.filter(p -> !p.getFileName().toString().endsWith(".lock"))).isEmpty();
    }
    // Recorded by a server that can run it, in a build cache this one shares: refused all the same.
    store().build(registry("registry.example/team/jre:21"), line -> {});
    assertThatThrownBy(() -> local.build(registry("registry.example/team/jre:21"), line -> {}))
        .isInstanceOf(ImageBuildFailure.class)
        .hasMessageContaining("--backend kubernetes");
  }

  @Test
  void concurrentRequestsForOneRecipeBuildItOnce() throws Exception {
    Path counter = data.resolve("runs.txt");
    Path gate = data.resolve("gate");
    // The build waits until every request has arrived, so that they really overlap.
    ImageRecipe recipe =
        recipe(
            "echo run >> "
                + counter
                + "; for i in $(seq 1 200); do [ -e "
                + gate
                + " ] && exit 0; sleep 0.05; done; exit 7");
    int requests = 4;
    List<ImageStore.Result> results = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch started = new CountDownLatch(requests);
    try (ImageStore store = store();
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<CompletableFuture<Void>> all = new ArrayList<>();
      for (int i = 0; i < requests; i++) {
        all.add(
            CompletableFuture.runAsync(
                () -> {
                  started.countDown();
                  results.add(store.build(recipe, line -> {}));
                },
                pool));
      }
      assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
      Files.createFile(gate);
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    }
    assertThat(Files.readAllLines(counter)).containsExactly("run");
    assertThat(results).hasSize(requests);
    assertThat(results.stream().filter(r -> !r.cached())).hasSize(1);
    assertThat(results.stream().map(r -> r.image().id()).distinct()).hasSize(1);
  }

  @Test
  void aFailedStepLeavesNothingBehindAndNamesItsCommand() throws IOException {
    try (ImageStore store = store()) {
      List<String> log = Collections.synchronizedList(new ArrayList<>());
      assertThatThrownBy(() -> store.build(recipe("echo first", "echo bad >&2; exit 4"), log::add))
          .isInstanceOfSatisfying(
              ImageBuildFailure.class,
              e -> {
                assertThat(e.step()).isEqualTo("runCommands(\"echo bad >&2; exit 4\")");
                assertThat(e.getMessage()).isEqualTo("the command exited with status 4");
                assertThat(e.output()).isEqualTo("bad");
              });
      assertThat(log).anyMatch(l -> l.endsWith("] first")).anyMatch(l -> l.endsWith("] bad"));
      try (var list = Files.list(data.resolve("images"))) {
        assertThat(list.filter(Files::isDirectory)).isEmpty();
      }
      assertThat(store.find(RecipeHash.of(recipe("echo first", "echo bad >&2; exit 4")))).isEmpty();
    }
  }

  @Test
  void aBuiltImageIsFoundByItsIdFromAnotherStore() {
    String id;
    try (ImageStore store = store()) {
      id = store.build(recipe("echo hi > hi.txt"), line -> {}).image().id();
    }
    try (ImageStore again = store()) {
      BuiltImage found = again.find(id).orElseThrow();
      assertThat(Path.of(found.workdir()).resolve("hi.txt")).hasContent("hi");
      assertThat(found.javaFeature()).isEqualTo(JDK);
      assertThat(again.build(recipe("echo hi > hi.txt"), line -> {}).cached()).isTrue();
    }
  }

  @Test
  void anImageWithATruncatedFileIsRebuiltNotUsed() throws IOException {
    ImageRecipe recipe = recipe("echo built by the build > out.txt");
    try (ImageStore store = store()) {
      BuiltImage built = store.build(recipe, line -> {}).image();
      Path out = Path.of(built.workdir()).resolve("out.txt");
      // What a crash of the machine leaves of a file whose data never reached the disk.
      Files.write(out, new byte[0]);

      assertThat(ImageStore.resolver(data).find(built.id())).isPresent(); // marker and hashes hold
      List<String> log = Collections.synchronizedList(new ArrayList<>());
      ImageStore.Result again = store.build(recipe, log::add);

      assertThat(again.cached()).isFalse();
      assertThat(log).anyMatch(l -> l.endsWith("building image " + built.id()));
      assertThat(out).hasContent("built by the build");
      assertThat(store.find(built.id())).isPresent();
    }
  }

  @Test
  void anImageWithoutItsCompletionMarkerIsNeverFoundAndIsRebuilt() throws IOException {
    ImageRecipe recipe = withFile("the added file");
    try (ImageStore store = store()) {
      BuiltImage built = store.build(recipe, line -> {}).image();
      // A build cut off after its directory took its name but before its marker reached the disk.
      Files.delete(built.directory().resolve(ImageContents.MARKER));

      assertThat(store.find(built.id())).isEmpty();
      assertThat(ImageStore.resolver(data).find(built.id())).isEmpty();
      assertThat(built.directory()).doesNotExist(); // removed, so that the next build makes it
      ImageStore.Result again = store.build(recipe, line -> {});
      assertThat(again.cached()).isFalse();
      assertThat(Path.of(again.image().workdir()).resolve("a.txt")).hasContent("the added file");
    }
  }

  @Test
  void anImageWithAMissingOrDamagedFileIsNotFound() throws IOException {
    try (ImageStore store = store()) {
      BuiltImage one = store.build(recipe("mkdir d; echo x > d/f"), line -> {}).image();
      BuiltImage two = store.build(recipe("echo y > g"), line -> {}).image();
      Files.delete(Path.of(one.workdir()).resolve("d/f"));
      Files.write(two.directory().resolve(ImageBuild.MANIFEST), new byte[] {1, 2, 3});

      assertThat(store.find(one.id())).isEmpty();
      assertThat(ImageStore.resolver(data).find(two.id())).isEmpty();
      assertThat(store.find(two.id())).isEmpty();
      assertThat(store.build(recipe("mkdir d; echo x > d/f"), line -> {}).cached()).isFalse();
    }
  }

  @Test
  void installedJdksAreFoundByTheirReleaseFiles(@TempDir Path jvms) throws IOException {
    Path fake = jvms.resolve("fake-jdk-22");
    Files.createDirectories(fake.resolve("bin"));
    Files.writeString(fake.resolve("release"), "IMPLEMENTOR=\"x\"\nJAVA_VERSION=\"22.0.2\"\n");
    Path java = Files.createFile(fake.resolve("bin/java"));
    java.toFile().setExecutable(true);
    Path notAJdk = Files.createDirectories(jvms.resolve("empty"));
    InstalledJdks jdks =
        InstalledJdks.of(List.of(fake, notAJdk, Path.of(System.getProperty("java.home"))));
    assertThat(jdks.find(22)).map(InstalledJdks.Jdk::home).contains(fake.toRealPath());
    assertThat(jdks.find(JDK)).isPresent();
    assertThatThrownBy(() -> jdks.require(98))
        .isInstanceOf(ImageBuildFailure.class)
        .hasMessageStartingWith("JDK 98 is not installed on this node; installed: JDK 22 (")
        .hasMessageContaining("JDK " + JDK + " (");
  }

  @Test
  void openingTheStoreRemovesLeftoverBuildAndDamagedDirectoriesButNotThoseOfARunningBuild()
      throws IOException {
    Path images = Files.createDirectories(data.resolve("images"));
    String crashed = RecipeHash.of(recipe("crashed"));
    String busy = RecipeHash.of(recipe("busy"));
    String built = RecipeHash.of(recipe("built"));
    // What a process killed during a build, or while deleting a damaged image, leaves behind.
    Path build = Files.createDirectories(images.resolve(".build-" + crashed + "-123/opt"));
    Files.writeString(build.resolve("half.txt"), "half");
    Path damaged =
        Files.createDirectories(images.resolve(".damaged-" + crashed + "-456/" + crashed));
    Files.writeString(damaged.resolve("a.txt"), "a");
    // A build of another image, running now in another process that holds its lock.
    Path running = Files.createDirectories(images.resolve(".build-" + busy + "-789"));
    Path image = Files.createDirectories(images.resolve(built));
    Path other = Files.createDirectories(images.resolve(".build-elsewhere"));

    try (FileChannel channel =
            FileChannel.open(
                images.resolve(busy + ".lock"),
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        var lock = channel.lock()) {
      assertThat(lock.isValid()).isTrue();
      store().close();
    }

    assertThat(images.resolve(".build-" + crashed + "-123")).doesNotExist();
    assertThat(images.resolve(".damaged-" + crashed + "-456")).doesNotExist();
    assertThat(running).as("the directory of a build that is running").isDirectory();
    assertThat(image).isDirectory();
    assertThat(other).as("not named as a build of an image id").isDirectory();

    store().close(); // no build of it runs now
    assertThat(running).doesNotExist();
  }

  @Test
  void aJdkImageShipsAsAReproducibleArchiveOfItsFilesWithItsWorkingDirectoryAndEnvironment()
      throws IOException {
    ImageRecipe recipe =
        withFile("a note").toBuilder()
            .addSteps(
                ImageStep.newBuilder()
                    .setEnv(ImageEnvStep.newBuilder().setName("GREETING").setValue("hi")))
            .addSteps(ImageStep.newBuilder().setWorkdir("app"))
            .addSteps(
                ImageStep.newBuilder()
                    .setRunCommands(StringList.newBuilder().addValues("echo built > out.txt")))
            .build();
    String id;
    try (ImageStore store = store()) {
      id = store.build(recipe, line -> {}).image().id();
    }
    ImageResolver images = ImageStore.resolver(data);

    ShippedImage shipped = images.ship(id).orElseThrow();

    assertThat(shipped.javaFeature()).isEqualTo(JDK);
    assertThat(shipped.jars()).isEmpty();
    assertThat(shipped.workdir()).isEqualTo("app");
    assertThat(shipped.env()).containsEntry("GREETING", "hi");
    String files = shipped.files().orElseThrow();
    Path archive = ImageStore.shippedFile(data, files);
    assertThat(sha256(archive)).isEqualTo(files);
    Map<String, String> entries = new TreeMap<>();
    try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(archive))) {
      for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
        entries.put(e.getName(), new String(zip.readAllBytes(), StandardCharsets.UTF_8).strip());
      }
    }
    assertThat(entries)
        .containsExactly(
            Map.entry("a.txt", "a note"), Map.entry("app/", ""), Map.entry("app/out.txt", "built"));
    assertThat(ImageStore.shippedFiles(data, id)).containsExactly(files);

    // Shipped once: the list is read again; removed, it is shipped again, byte for byte.
    assertThat(images.ship(id)).contains(shipped);
    Files.delete(archive);
    assertThat(ImageStore.resolver(data).ship(id)).contains(shipped);
    assertThat(sha256(archive)).isEqualTo(files);
    assertThat(images.ship("0".repeat(RecipeHash.ID_LENGTH))).isEmpty();
  }

  @Test
  void anImageWithFilesAtAbsolutePathsIsNotShipped() {
    ImageRecipe recipe =
        recipe().toBuilder()
            .addSteps(
                ImageStep.newBuilder()
                    .setAddLocal(
                        AddLocalStep.newBuilder()
                            .setSource("/src/a.txt")
                            .setTarget("/etc/skiff/a.txt")
                            .addFiles(
                                ImageFile.newBuilder().setContent(ByteString.copyFromUtf8("x")))))
            .build();
    String id;
    try (ImageStore store = store()) {
      id = store.build(recipe, line -> {}).image().id();
    }

    assertThatThrownBy(() -> ImageStore.resolver(data).ship(id))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("adds files at absolute paths (/etc/skiff/a.txt)");
    assertThat(ImageStore.shippedFiles(data, id)).isEmpty();
  }

  private static String sha256(Path file) throws IOException {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
