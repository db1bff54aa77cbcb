package dev.skiff.server.image;

import dev.skiff.internal.DurableFiles;
import dev.skiff.server.backend.ShippedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Built images as content-addressed files for containers on other machines ({@link ShippedImage}),
 * kept in {@code <build>/shipped/}: each jar of an image's classpath as {@code <sha256>.jar}, its
 * file tree as a zip archive named the same way, and per image the list {@code <id>.list} of what
 * it shipped ({@code jar <sha256>} and {@code files <sha256>} lines), written last, which also says
 * which files a container of an app on that image may fetch.
 *
 * <p>An image is shipped the first time a backend asks ({@link #ship}); later calls read the list.
 * The archive is reproducible: entries in path order, with one fixed time, directories included (an
 * empty working directory too). It keeps no file modes: a container unpacks regular files and
 * directories. Debian images (a root file system) and files added at absolute paths cannot be
 * shipped: they need the container sandbox of the control plane's machine. Thread-safe: shipping is
 * serialised in this JVM, and every file is moved into place whole.
 */
final class ImageShipping {
  static final String DIRECTORY = "shipped";
  private static final String LIST = ".list";
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final FileTime ENTRY_TIME = FileTime.fromMillis(315_532_800_000L); // 1980-01-01
  private static final Object LOCK = new Object();

  private ImageShipping() {}

  /** Where the images of the build directory {@code buildDir} are shipped. */
  static Path directory(Path buildDir) {
    return buildDir.resolve(DIRECTORY);
  }

  /**
   * {@code image} as files in {@code shipped}, shipping it if that was not done yet.
   *
   * @throws IllegalArgumentException if the image has a root file system or files at absolute
   *     paths, or is a registry image
   */
  static ShippedImage ship(Path shipped, BuiltImage image) {
    refuseUnshippable(image);
    try {
      List<String> lines = listed(shipped, image.id()).orElse(null);
      if (lines == null) {
        synchronized (LOCK) {
          lines = listed(shipped, image.id()).orElse(null);
          if (lines == null) {
            lines = publish(shipped, image);
          }
        }
      }
      List<String> jars = new ArrayList<>();
      Optional<String> files = Optional.empty();
      for (String line : lines) {
        if (line.startsWith("jar ")) {
          jars.add(line.substring(4));
        } else if (line.startsWith("files ")) {
          files = Optional.of(line.substring(6));
        }
      }
      return new ShippedImage(
          image.javaFeature(), jars, files, relativeWorkdir(image), image.env());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "could not ship image " + image.id() + " to " + shipped + ": " + e.getMessage(), e);
    }
  }

  /** The SHA-256s of the files that image {@code id} shipped to {@code shipped}; empty if none. */
  static Set<String> blobsOf(Path shipped, String id) {
    try {
      Set<String> out = new LinkedHashSet<>();
      for (String line : listed(shipped, id).orElse(List.of())) {
        out.add(line.substring(line.indexOf(' ') + 1));
      }
      return out;
    } catch (IOException e) {
      return Set.of();
    }
  }

  /** The shipped file {@code sha256} in {@code shipped} (which may not exist). */
  static Path file(Path shipped, String sha256) {
    if (!SHA256.matcher(sha256).matches()) {
      throw new IllegalArgumentException("not a SHA-256: " + sha256);
    }
    return shipped.resolve(sha256 + ".jar");
  }

  private static void refuseUnshippable(BuiltImage image) {
    if (image.registryImage().isPresent()) {
      throw new IllegalArgumentException(
          "image " + image.id() + " is a registry image, which is pulled, not shipped");
    }
    if (image.rootfs().isPresent()) {
      throw new IllegalArgumentException(
          "image "
              + image.id()
              + " is a Debian image (Image.debianSlim()), whose root file system is made on the"
              + " control plane's machine and runs only in its container sandbox; use"
              + " Image.jdk(..) or Image.fromRegistry(..)");
    }
    if (!image.mounts().isEmpty()) {
      throw new IllegalArgumentException(
          "image "
              + image.id()
              + " adds files at absolute paths ("
              + String.join(", ", image.mounts().keySet())
              + "), which only the container sandbox of the control plane's machine can give a"
              + " container; add them at relative paths, under the working directory");
    }
  }

  /** The image's list, when it was shipped and each of its files is still there. */
  private static Optional<List<String>> listed(Path shipped, String id) throws IOException {
    List<String> lines;
    try {
      lines =
          Files.readAllLines(shipped.resolve(id + LIST), StandardCharsets.UTF_8).stream()
              .filter(l -> !l.isBlank())
              .toList();
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    for (String line : lines) {
      String sha = line.substring(line.indexOf(' ') + 1);
      if (!SHA256.matcher(sha).matches() || !Files.isRegularFile(file(shipped, sha))) {
        return Optional.empty(); // cut off or removed: ship again
      }
    }
    return Optional.of(lines);
  }

  private static List<String> publish(Path shipped, BuiltImage image) throws IOException {
    Files.createDirectories(shipped);
    List<String> lines = new ArrayList<>();
    for (String jar : image.classpath()) {
      lines.add("jar " + publishFile(shipped, Path.of(jar)));
    }
    Optional<Path> files = image.files();
    if (files.isPresent()) {
      lines.add("files " + publishArchive(shipped, files.get()));
    }
    DurableFiles.write(
        Files.createTempFile(shipped, image.id() + "-", ".tmp"),
        shipped.resolve(image.id() + LIST),
        lines.stream()
            .map(l -> l + "\n")
            .collect(Collectors.joining())
            .getBytes(StandardCharsets.UTF_8));
    return lines;
  }

  private static String publishFile(Path shipped, Path source) throws IOException {
    Path temp = Files.createTempFile(shipped, "jar-", ".tmp");
    try {
      String sha;
      try (InputStream in = Files.newInputStream(source);
          OutputStream out = Files.newOutputStream(temp)) {
        sha = copyHashing(in, out);
      }
      DurableFiles.moveIntoPlace(temp, file(shipped, sha));
      return sha;
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private static String publishArchive(Path shipped, Path tree) throws IOException {
    Path temp = Files.createTempFile(shipped, "files-", ".tmp");
    try {
      MessageDigest digest = sha256();
      List<Path> entries;
      try (Stream<Path> walk = Files.walk(tree)) {
        entries = walk.filter(p -> !p.equals(tree)).sorted().toList();
      }
      try (ZipOutputStream zip =
          new ZipOutputStream(new DigestOutputStream(Files.newOutputStream(temp), digest))) {
        for (Path p : entries) {
          String name = tree.relativize(p).toString().replace('\\', '/');
          boolean directory = Files.isDirectory(p);
          ZipEntry entry = new ZipEntry(directory ? name + "/" : name);
          entry.setLastModifiedTime(ENTRY_TIME);
          zip.putNextEntry(entry);
          if (!directory) {
            Files.copy(p, zip);
          }
          zip.closeEntry();
        }
      }
      String sha = HexFormat.of().formatHex(digest.digest());
      DurableFiles.moveIntoPlace(temp, file(shipped, sha));
      return sha;
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private static String relativeWorkdir(BuiltImage image) {
    return image
        .files()
        .map(root -> root.relativize(Path.of(image.workdir())).toString().replace('\\', '/'))
        .orElse("");
  }

  private static String copyHashing(InputStream in, OutputStream out) throws IOException {
    MessageDigest digest = sha256();
    byte[] buffer = new byte[64 * 1024];
    for (int n; (n = in.read(buffer)) > 0; ) {
      digest.update(buffer, 0, n);
      out.write(buffer, 0, n);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
  }
}
