package dev.skiff.server.image;

import dev.skiff.internal.DurableFiles;
import dev.skiff.proto.ImageManifest;
import dev.skiff.proto.ImageRecipe;
import dev.skiff.server.backend.Capabilities;
import dev.skiff.server.backend.ContainerImage;
import dev.skiff.server.backend.ImageResolver;
import dev.skiff.server.backend.ShippedImage;
import dev.skiff.server.store.SharedBytes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The images of a control plane, in {@code <data-dir>/images/<id>/}, and the Maven artifacts they
 * use, in {@code <data-dir>/maven}.
 *
 * <p>An image is built at most once: {@link #build} first looks for a complete {@code <id>/}; if it
 * is missing, the image is built in a temporary directory beside it, forced to disk, sealed with a
 * completion marker written last ({@link ImageContents}) and renamed into place, so a half-built
 * image is never seen, and a failed build leaves nothing behind. An image found damaged later (a
 * file truncated or lost by a crash of the machine, the marker missing) is removed when it is
 * looked up, saying so in the server log, and the next build of its recipe builds it again. Builds
 * of one id are serialised within this JVM (one lock object per id) and across processes sharing
 * the data directory (a file lock on {@code <id>.lock}); a second request for an image that is
 * being built waits and then finds it built. Different images build in parallel.
 *
 * <p><b>Leftovers.</b> A process that dies during a build leaves its {@code .build-<id>-*}
 * directory, and one that dies while deleting a damaged image leaves it in a {@code
 * .damaged-<id>-*} directory. A new store deletes them when it opens, each holding the file lock of
 * its image id, so never while another process sharing the directory builds that image (those stay
 * until a later open).
 *
 * <p><b>Replicas.</b> On a store that several control planes share ({@link SharedBytes#shared()}),
 * the recipe of every image built or found here is put in the shared bytes under the image's id. A
 * replica asked for an image id it has not built ({@link #find}: a deployment or app that names it,
 * made through another replica, or restored or taken over here) loads the recipe from there, checks
 * that it hashes to that id, and builds the image itself, as the replica that was asked to build it
 * did: images are reproducible from their recipe (pinned JDK, Maven coordinates, the bytes of added
 * files), so each replica builds its own copy rather than copying directories.
 *
 * <p>{@link #close()} kills the build commands still running. Thread-safe.
 */
public final class ImageStore implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ImageStore.class.getName());
  // What a build (ImageBuild) or the removal of a damaged image leaves if its process dies.
  private static final Pattern LEFTOVER =
      Pattern.compile("\\.(?:build|damaged)-([0-9a-f]{" + RecipeHash.ID_LENGTH + "})-.*");
  private final Path imagesDir;
  private final MavenArtifacts maven;
  private final InstalledJdks jdks;
  private final Clock clock;
  // A ReentrantLock rather than a monitor: builds run on virtual threads, which a monitor held
  // across a long build would pin to their carrier.
  private final ConcurrentHashMap<String, ReentrantLock> buildLocks = new ConcurrentHashMap<>();
  private final Set<Process> running = ConcurrentHashMap.newKeySet();

  private final Capabilities capabilities;
  private final SharedBytes shared;

  ImageStore(Path imagesDir, Path mavenRepository, InstalledJdks jdks, Clock clock) {
    this(imagesDir, mavenRepository, jdks, clock, Capabilities.all(), SharedBytes.none());
  }

  ImageStore(
      Path imagesDir,
      Path mavenRepository,
      InstalledJdks jdks,
      Clock clock,
      Capabilities capabilities,
      SharedBytes shared) {
    this.capabilities = capabilities;
    this.shared = shared;
    this.imagesDir = imagesDir;
    this.maven = new MavenArtifacts(mavenRepository);
    this.jdks = jdks;
    this.clock = clock;
    removeLeftovers();
  }

  /**
   * Deletes the build and damaged-image directories that processes which died left behind, each
   * image id's holding its build lock: one another process (or another store in this JVM) holds is
   * being built, and its directories stay.
   */
  private void removeLeftovers() {
    Map<String, List<Path>> byId;
    try (Stream<Path> files = Files.list(imagesDir)) {
      byId =
          files
              .map(p -> LEFTOVER.matcher(p.getFileName().toString()))
              .filter(Matcher::matches)
              .collect(
                  Collectors.groupingBy(
                      m -> m.group(1),
                      Collectors.mapping(m -> imagesDir.resolve(m.group()), Collectors.toList())));
    } catch (NoSuchFileException e) {
      return; // nothing built yet
    } catch (IOException e) {
      LOG.log(Level.WARNING, "could not list " + imagesDir + " for leftover builds", e);
      return;
    }
    byId.forEach(
        (id, dirs) -> {
          try (FileChannel channel =
                  FileChannel.open(
                      imagesDir.resolve(id + ".lock"),
                      StandardOpenOption.CREATE,
                      StandardOpenOption.WRITE);
              FileLock lock = channel.tryLock()) {
            if (lock == null) {
              return; // another process builds this image now
            }
            dirs.forEach(ImageBuild::deleteTree);
            LOG.log(
                Level.INFO,
                "removed {0} leftover build or damaged-image director(y/ies) of image {1} from {2}",
                dirs.size(),
                id,
                imagesDir);
          } catch (OverlappingFileLockException e) {
            // Another store in this JVM builds this image now.
          } catch (IOException e) {
            LOG.log(Level.WARNING, "could not remove the leftovers of image " + id, e);
          }
        });
  }

  /**
   * The store whose images and Maven artifacts are kept in {@code dir} (a control plane's data
   * directory or a build cache several share: builds of one recipe take turns on a file lock).
   *
   * @param capabilities what the container backend can give: Debian images, whose containers need a
   *     root file system of their own, are refused before anything is built where it cannot
   */
  public static ImageStore in(Path dir, Clock clock, Capabilities capabilities) {
    return in(dir, clock, capabilities, SharedBytes.none());
  }

  /**
   * As {@link #in(Path, Clock, Capabilities)}, sharing the recipes of its images with the other
   * control planes on {@code shared}.
   */
  public static ImageStore in(
      Path dir, Clock clock, Capabilities capabilities, SharedBytes shared) {
    return new ImageStore(
        dir.resolve("images"),
        dir.resolve("maven"),
        InstalledJdks.scan(),
        clock,
        capabilities,
        shared);
  }

  /**
   * What a build answered.
   *
   * @param image the image
   * @param cached whether it had been built before
   * @param elapsedMillis how long the request took (waiting for another build of it included)
   */
  public record Result(BuiltImage image, boolean cached, long elapsedMillis) {}

  /**
   * Builds the image of {@code recipe}, or finds it built; on a shared store, its recipe is in the
   * shared bytes when this returns.
   *
   * @param log told each line of build output, already prefixed with {@code [image <id>]}
   * @throws ImageBuildFailure if a step fails
   * @throws UncheckedIOException if its recipe could not be shared
   */
  public Result build(ImageRecipe recipe, Consumer<String> log) {
    Result result = buildHere(recipe, log);
    String id = result.image().id();
    if (shared.shared() && !shared.existing(SharedBytes.Kind.IMAGE, List.of(id)).contains(id)) {
      shared.put(SharedBytes.Kind.IMAGE, id, new ByteArrayInputStream(recipe.toByteArray()));
    }
    return result;
  }

  private Result buildHere(ImageRecipe recipe, Consumer<String> log) {
    long start = clock.millis();
    String id = RecipeHash.of(recipe);
    String prefix = "[image " + id.substring(0, 6) + "] ";
    Consumer<String> prefixed = line -> log.accept(prefix + line);
    ImageBuild.refuseUnrunnable(recipe, capabilities);
    Optional<BuiltImage> existing = findHere(id);
    if (existing.isPresent()) {
      prefixed.accept("using the cached image " + id);
      return new Result(existing.get(), true, clock.millis() - start);
    }
    return underLock(
        id,
        () -> {
          Optional<BuiltImage> meanwhile = findLocked(id);
          if (meanwhile.isPresent()) {
            prefixed.accept("using the image " + id + ", built meanwhile by another request");
            return new Result(meanwhile.get(), true, clock.millis() - start);
          }
          prefixed.accept("building image " + id);
          BuiltImage built =
              new ImageBuild(id, imagesDir, recipe, jdks, maven, prefixed, running, capabilities)
                  .run();
          prefixed.accept("built image " + id + " in " + (clock.millis() - start) + " ms");
          return new Result(built, false, clock.millis() - start);
        });
  }

  /**
   * Runs {@code action} holding the build lock of image {@code id}: within this JVM and, with a
   * file lock on {@code <id>.lock}, across processes sharing the directory.
   */
  private <T> T underLock(String id, Supplier<T> action) {
    ReentrantLock lock = buildLocks.computeIfAbsent(id, k -> new ReentrantLock());
    lock.lock();
    try {
      Files.createDirectories(imagesDir);
      try (FileChannel channel =
          FileChannel.open(
              imagesDir.resolve(id + ".lock"),
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE)) {
        FileLock fileLock = channel.lock(); // released when the channel closes
        assert fileLock.isValid();
        return action.get();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not lock image " + id + " in " + imagesDir, e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * The built image with this id, if it is complete on disk. An image found damaged or incomplete
   * (a file missing or truncated, its completion marker missing: see {@link ImageContents}) is
   * never used: it is removed, saying so in the server log, so that the next build of its recipe
   * builds it again.
   *
   * <p>On a shared store, an image not built here whose recipe another replica shared is built here
   * from that recipe first (which takes as long as a build does; its output goes to the server
   * log).
   *
   * @throws ImageBuildFailure if building a shared recipe fails here
   * @throws UncheckedIOException if the shared recipe could not be read, or does not hash to {@code
   *     id}
   */
  public Optional<BuiltImage> find(String id) {
    Optional<BuiltImage> here = findHere(id);
    if (here.isPresent() || !shared.shared() || !validId(id)) {
      return here;
    }
    Optional<InputStream> stored = shared.open(SharedBytes.Kind.IMAGE, id);
    if (stored.isEmpty()) {
      return Optional.empty();
    }
    ImageRecipe recipe;
    try (InputStream in = stored.get()) {
      recipe = ImageRecipe.parseFrom(in);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "could not read the shared recipe of image " + id + ": " + e.getMessage(), e);
    }
    if (!RecipeHash.of(recipe).equals(id)) {
      throw new UncheckedIOException(
          new IOException(
              "the shared recipe of image "
                  + id
                  + " hashes to "
                  + RecipeHash.of(recipe)
                  + "; it is not used (build the image again with ImageApi.BuildImage)"));
    }
    LOG.log(
        Level.INFO, "image {0} was built by another replica; building it here from its recipe", id);
    return Optional.of(buildHere(recipe, line -> LOG.log(Level.INFO, "{0}", line)).image());
  }

  /** The built image with this id on this machine's disk, if it is complete (see {@link #find}). */
  private Optional<BuiltImage> findHere(String id) {
    if (!validId(id) || !Files.exists(imagesDir.resolve(id))) {
      return Optional.empty();
    }
    Optional<BuiltImage> image = findIntact(id);
    return image.isPresent() ? image : underLock(id, () -> findLocked(id));
  }

  /**
   * As {@link #find}, holding the build lock of {@code id}, so that removing a damaged image is
   * safe.
   */
  private Optional<BuiltImage> findLocked(String id) {
    Optional<String> damage = ImageContents.damage(imagesDir.resolve(id), true);
    if (damage.isEmpty()) {
      return Optional.of(read(id, imagesDir.resolve(id)));
    }
    if (Files.exists(imagesDir.resolve(id))) {
      removeDamaged(id, damage.get());
    }
    return Optional.empty();
  }

  private Optional<BuiltImage> findIntact(String id) {
    Path dir = imagesDir.resolve(id);
    if (!Files.isDirectory(dir) || ImageContents.damage(dir, true).isPresent()) {
      return Optional.empty();
    }
    return Optional.of(read(id, dir));
  }

  private void removeDamaged(String id, String why) {
    Path dir = imagesDir.resolve(id);
    LOG.log(
        Level.WARNING,
        "image {0} in {1} is damaged or incomplete: {2}; it is removed and not used, and the next"
            + " build of its recipe builds it again",
        id,
        imagesDir,
        why);
    try {
      // Aside first, atomically, so that no one sees it half deleted.
      Path aside = Files.createTempDirectory(imagesDir, ".damaged-" + id + "-");
      Files.move(dir, aside.resolve(id), StandardCopyOption.ATOMIC_MOVE);
      DurableFiles.forceDirectory(imagesDir);
      ImageBuild.deleteTree(aside);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "could not remove the damaged image " + id + " from " + imagesDir, e);
    }
  }

  /**
   * Finds the images built in {@code dir} (as {@link #in} keeps them) for a container backend,
   * which runs containers on an image it is given by id. It checks each image's completion marker
   * and hashes, not each of its files: {@link #find} did that when the app was deployed or
   * restored.
   */
  public static ImageResolver resolver(Path dir) {
    Path imagesDir = dir.resolve("images");
    Path shipped = ImageShipping.directory(dir);
    return new ImageResolver() {
      @Override
      public Optional<ContainerImage> find(String id) {
        return intact(imagesDir, id).map(BuiltImage::container);
      }

      @Override
      public Optional<ShippedImage> ship(String id) {
        return intact(imagesDir, id).map(image -> ImageShipping.ship(shipped, image));
      }
    };
  }

  /**
   * The SHA-256s of the files that image {@code id} of the build directory {@code dir} shipped to
   * containers on other machines ({@link ImageResolver#ship}); empty if it shipped none.
   */
  public static Set<String> shippedFiles(Path dir, String id) {
    return validId(id) ? ImageShipping.blobsOf(ImageShipping.directory(dir), id) : Set.of();
  }

  /**
   * The shipped file {@code sha256} of the build directory {@code dir} (which may not exist).
   *
   * @throws IllegalArgumentException if {@code sha256} is not 64 lower-case hex digits
   */
  public static Path shippedFile(Path dir, String sha256) {
    return ImageShipping.file(ImageShipping.directory(dir), sha256);
  }

  private static Optional<BuiltImage> intact(Path imagesDir, String id) {
    if (!validId(id)) {
      return Optional.empty();
    }
    Path image = imagesDir.resolve(id);
    return Files.isDirectory(image) && ImageContents.damage(image, false).isEmpty()
        ? Optional.of(read(id, image))
        : Optional.empty();
  }

  private static boolean validId(String id) {
    return id.matches("[0-9a-f]{" + RecipeHash.ID_LENGTH + "}");
  }

  private static BuiltImage read(String id, Path dir) {
    try {
      return new BuiltImage(
          id, dir, ImageManifest.parseFrom(Files.readAllBytes(dir.resolve(ImageBuild.MANIFEST))));
    } catch (IOException e) {
      throw new UncheckedIOException("could not read the manifest of image " + id, e);
    }
  }

  @Override
  public void close() {
    running.forEach(
        p -> {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
        });
  }
}
