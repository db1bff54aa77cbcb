package dev.skiff.server.image;

import dev.skiff.internal.DurableFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * What makes a built image count as complete on disk, and the check that it still is.
 *
 * <p>When a build's steps are done, {@link #seal} lists every entry of the image's directory in
 * {@code contents} (kind, size of each regular file, path), forces the whole tree to disk (one
 * syncfs(2) of its file system, else each file and directory), and writes last the completion
 * marker {@code image.sum}: the sha-256 of {@code image.pb} and of {@code contents}. The directory
 * is renamed into place only after that, so an image whose marker is missing or wrong was cut off
 * or damaged.
 *
 * <p>{@link #damage} checks an image before it is used: the marker, both hashes, and that every
 * listed entry is there with its kind and (for a file) its size, which finds a file truncated or
 * lost by a crash of the machine or a full disk. It reads only the two small files and stats each
 * entry (a Debian root has about ten thousand): hashing every file of a root file system on each
 * use would cost seconds. Entries added since the build (bubblewrap's mount points in a Debian
 * root) are not damage. Stateless.
 */
final class ImageContents {
  static final String CONTENTS = "contents";
  static final String MARKER = "image.sum";

  private ImageContents() {}

  /**
   * Lists the entries of {@code dir} (the finished build of an image, {@code image.pb} written),
   * forces the tree to disk and writes the completion marker, forced too.
   */
  static void seal(Path dir) throws IOException {
    List<String> lines = new ArrayList<>();
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
            if (!d.equals(dir)) {
              lines.add("d - " + encode(dir.relativize(d)));
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            String path = encode(dir.relativize(file));
            if (attrs.isRegularFile()) {
              lines.add("f " + attrs.size() + " " + path);
            } else if (attrs.isSymbolicLink()) {
              lines.add("l - " + path);
            } else {
              lines.add("o - " + path);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) {
            // A directory of a root file system this process may not list: it must stay there.
            lines.add("o - " + encode(dir.relativize(file)));
            return FileVisitResult.CONTINUE;
          }
        });
    Files.write(
        dir.resolve(CONTENTS), (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    try {
      // One syncfs(2) rather than a force per file: a Debian root has about ten thousand.
      DurableFiles.forceFileSystem(dir);
    } catch (IOException e) {
      if (DurableFiles.forceTree(dir) > 0) {
        throw new IOException(
            "could not force every file of the image to disk (sync --file-system failed: "
                + e.getMessage()
                + ", and some files could not be opened)",
            e);
      }
    }
    Path marker = dir.resolve(MARKER);
    Files.writeString(
        marker,
        ImageBuild.MANIFEST
            + " "
            + sha256(dir.resolve(ImageBuild.MANIFEST))
            + "\n"
            + CONTENTS
            + " "
            + sha256(dir.resolve(CONTENTS))
            + "\n");
    DurableFiles.force(marker);
    DurableFiles.forceDirectory(dir);
  }

  /**
   * What is wrong with the built image in {@code dir}, or empty if it is complete.
   *
   * @param full whether to check each listed entry too, not only the marker and the hashes
   */
  static Optional<String> damage(Path dir, boolean full) {
    try {
      Path marker = dir.resolve(MARKER);
      if (!Files.isRegularFile(marker)) {
        return Optional.of(
            "its completion marker "
                + MARKER
                + " is missing (its build was cut off, or it was built by an older version)");
      }
      List<String> sums = Files.readAllLines(marker, StandardCharsets.UTF_8);
      if (sums.size() != 2
          || !sums.get(0).matches(ImageBuild.MANIFEST.replace(".", "\\.") + " [0-9a-f]{64}")
          || !sums.get(1).matches(CONTENTS + " [0-9a-f]{64}")) {
        return Optional.of("its completion marker " + MARKER + " is damaged");
      }
      for (String sum : sums) {
        String name = sum.substring(0, sum.indexOf(' '));
        Path file = dir.resolve(name);
        if (!Files.isRegularFile(file)) {
          return Optional.of(name + " is missing");
        }
        if (!sha256(file).equals(sum.substring(sum.indexOf(' ') + 1))) {
          return Optional.of(name + " does not have the sha-256 recorded when it was built");
        }
      }
      return full ? entries(dir) : Optional.empty();
    } catch (IOException | UncheckedIOException e) {
      return Optional.of("it could not be read: " + e.getMessage());
    }
  }

  private static Optional<String> entries(Path dir) throws IOException {
    for (String line : Files.readAllLines(dir.resolve(CONTENTS), StandardCharsets.UTF_8)) {
      if (line.isEmpty()) {
        continue;
      }
      String[] parts = line.split(" ", 3);
      String kind = parts[0];
      Path path = dir.resolve(decode(parts[2]));
      BasicFileAttributes attrs;
      try {
        attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        return Optional.of(parts[2] + " is missing");
      }
      boolean sameKind =
          switch (kind) {
            case "d" -> attrs.isDirectory();
            case "f" -> attrs.isRegularFile();
            case "l" -> attrs.isSymbolicLink();
            default -> true;
          };
      if (!sameKind) {
        return Optional.of(parts[2] + " is no longer what it was when built");
      }
      if (kind.equals("f") && attrs.size() != Long.parseLong(parts[1])) {
        return Optional.of(
            parts[2]
                + " has "
                + attrs.size()
                + " bytes, not the "
                + parts[1]
                + " it had when built (truncated)");
      }
    }
    return Optional.empty();
  }

  /** A relative path on one line: backslashes and line breaks escaped. */
  private static String encode(Path relative) {
    return relative.toString().replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r");
  }

  private static String decode(String encoded) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      if (c == '\\' && i + 1 < encoded.length()) {
        char next = encoded.charAt(++i);
        out.append(next == 'n' ? '\n' : next == 'r' ? '\r' : next);
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static String sha256(Path file) throws IOException {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }
}
