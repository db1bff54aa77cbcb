package dev.skiff.server.files;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * A directory tree that someone else may change while the server works in it (a volume, which
 * containers mount read-write), reached only through open directory handles.
 *
 * <p>Every path is walked from the tree's root one component at a time: each directory is opened
 * relative to the handle of its parent with {@code O_NOFOLLOW} ({@link SecureDirectoryStream}, the
 * JDK's {@code openat}), and each file is opened, renamed or deleted relative to the handle of its
 * directory. A symbolic link at any component is therefore refused, never followed, and swapping a
 * directory for a link between a check and a use cannot redirect the use: the use goes through the
 * handle opened before the swap. Entries are named by single components only (never {@code a/b},
 * which {@code openat} would resolve following links).
 *
 * <p>Checks of what an entry is ({@link #attributes}) come before opening it only to give exact
 * errors and to avoid opening special files; the safety does not depend on them.
 */
public final class ConfinedTree {
  /** How deep a walk over a whole tree (listing, deleting) goes; each level holds a handle. */
  static final int MAX_DEPTH = 512;

  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

  private ConfinedTree() {}

  /** Why a walk stopped: what lies at {@code at} (the path up to and including the component). */
  static final class Blocked extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What the component was. */
    enum Reason {
      LINK,
      NOT_DIRECTORY,
      MISSING,
      TOO_DEEP
    }

    private final Reason reason;
    private final String at;

    Blocked(Reason reason, String at) {
      super(reason + " at '" + at + "'", null, false, false);
      this.reason = reason;
      this.at = at;
    }

    Reason reason() {
      return reason;
    }

    String at() {
      return at;
    }
  }

  /** An entry found by {@link #list}: its path below the listed directory and what it is. */
  record Found(String path, BasicFileAttributes attributes) {}

  /**
   * Opens a directory the server owns (its path is trusted) as a handle.
   *
   * @throws UnsupportedOperationException where the file system offers no {@code openat}
   */
  // The stream is the handle returned to the caller, who closes it; closed here when not secure.
  @SuppressWarnings("StreamResourceLeak")
  static SecureDirectoryStream<Path> openTrusted(Path dir) throws IOException {
    DirectoryStream<Path> stream = Files.newDirectoryStream(dir);
    if (stream instanceof SecureDirectoryStream<Path> secure) {
      return secure;
    }
    stream.close();
    throw new UnsupportedOperationException(
        "the file system of "
            + dir
            + " cannot open files relative to a directory (openat), which"
            + " volumes need so that a symbolic link a container makes is never followed");
  }

  /** What entry {@code name} of {@code dir} is, not following a link; empty if there is none. */
  static Optional<BasicFileAttributes> attributes(SecureDirectoryStream<Path> dir, String name)
      throws IOException {
    try {
      return Optional.of(
          dir.getFileAttributeView(Path.of(name), BasicFileAttributeView.class, NOFOLLOW)
              .readAttributes());
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /**
   * Opens subdirectory {@code name} of {@code dir} without following a link.
   *
   * @param at the path of the subdirectory, for {@link Blocked}
   * @throws Blocked if it is a link, not a directory, or missing
   */
  static SecureDirectoryStream<Path> openDirectory(
      SecureDirectoryStream<Path> dir, String name, String at) throws IOException {
    checkDirectory(dir, name, at);
    try {
      return dir.newDirectoryStream(Path.of(name), NOFOLLOW);
    } catch (IOException e) {
      checkDirectory(dir, name, at); // changed since: say what it is now
      throw e;
    }
  }

  private static void checkDirectory(SecureDirectoryStream<Path> dir, String name, String at)
      throws IOException {
    BasicFileAttributes a =
        attributes(dir, name).orElseThrow(() -> new Blocked(Blocked.Reason.MISSING, at));
    if (a.isSymbolicLink()) {
      throw new Blocked(Blocked.Reason.LINK, at);
    }
    if (!a.isDirectory()) {
      throw new Blocked(Blocked.Reason.NOT_DIRECTORY, at);
    }
  }

  /**
   * Opens the directory at {@code parts} below {@code root}, one component at a time.
   *
   * @param staging where missing directories are made before they are moved in (see {@link
   *     #makeDirectory}); empty: a missing directory is an error
   * @throws Blocked at the first component that is a link, not a directory, or (unless creating)
   *     missing
   */
  static SecureDirectoryStream<Path> walk(
      SecureDirectoryStream<Path> root, List<String> parts, Optional<Path> staging)
      throws IOException {
    SecureDirectoryStream<Path> dir = root;
    try {
      for (int i = 0; i < parts.size(); i++) {
        String name = parts.get(i);
        String at = String.join("/", parts.subList(0, i + 1));
        if (staging.isPresent() && attributes(dir, name).isEmpty()) {
          makeDirectory(dir, name, staging.get());
        }
        SecureDirectoryStream<Path> next = openDirectory(dir, name, at);
        if (dir != root) {
          dir.close();
        }
        dir = next;
      }
      return dir == root ? reopen(root) : dir;
    } catch (IOException | RuntimeException e) {
      if (dir != root) {
        dir.close();
      }
      throw e;
    }
  }

  /** A second handle on {@code dir}, so that what {@link #walk} returns is always the caller's. */
  private static SecureDirectoryStream<Path> reopen(SecureDirectoryStream<Path> dir)
      throws IOException {
    return dir.newDirectoryStream(Path.of("."), NOFOLLOW);
  }

  /**
   * Makes directory {@code name} in {@code dir}: the JDK has no {@code mkdirat}, so it is made in
   * {@code staging} (a directory only the server reaches, on the same file system) and renamed into
   * {@code dir} through its handle. If something appeared there meanwhile, the rename fails or (an
   * empty directory) is replaced by an equally empty one, and the caller's walk judges what is
   * there.
   */
  static void makeDirectory(SecureDirectoryStream<Path> dir, String name, Path staging)
      throws IOException {
    Files.createDirectories(staging);
    Path made = Files.createDirectory(staging.resolve("dir-" + UUID.randomUUID()));
    try {
      dir.move(made, dir, Path.of(name));
    } catch (IOException e) {
      Files.deleteIfExists(made);
      if (attributes(dir, name).isEmpty()) {
        throw e;
      }
    }
  }

  /** Opens regular file {@code name} of {@code dir} to read, never following a link. */
  static SeekableByteChannel openToRead(SecureDirectoryStream<Path> dir, String name)
      throws IOException {
    Set<OpenOption> options = Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    return dir.newByteChannel(Path.of(name), options);
  }

  /**
   * Moves {@code file} (in a directory only the server reaches, on the same file system) to entry
   * {@code name} of {@code dir}, replacing a file there atomically.
   */
  static void moveInto(Path file, SecureDirectoryStream<Path> dir, String name) throws IOException {
    dir.move(file.toAbsolutePath(), dir, Path.of(name));
  }

  /** Deletes entry {@code name} of {@code dir}: a link or file itself, or an empty directory. */
  static void delete(SecureDirectoryStream<Path> dir, String name, BasicFileAttributes what)
      throws IOException {
    if (what.isDirectory()) {
      dir.deleteDirectory(Path.of(name));
    } else {
      dir.deleteFile(Path.of(name));
    }
  }

  /** Deletes everything in {@code dir}, never following a link out of it. */
  static void deleteContents(SecureDirectoryStream<Path> dir, String at, int depth)
      throws IOException {
    if (depth > MAX_DEPTH) {
      throw new Blocked(Blocked.Reason.TOO_DEEP, at);
    }
    for (String name : names(dir)) {
      Optional<BasicFileAttributes> a = attributes(dir, name);
      if (a.isEmpty()) {
        continue;
      }
      String below = at.isEmpty() ? name : at + "/" + name;
      if (a.get().isDirectory()) {
        try (SecureDirectoryStream<Path> sub = openDirectory(dir, name, below)) {
          deleteContents(sub, below, depth + 1);
        }
      }
      delete(dir, name, a.get());
    }
  }

  /**
   * What lies in {@code dir} (at any depth if {@code recursive}), with paths below it prefixed by
   * {@code prefix}; directories are entered through their handles, links are reported, not entered.
   */
  static void list(
      SecureDirectoryStream<Path> dir, String prefix, boolean recursive, int depth, List<Found> out)
      throws IOException {
    if (depth > MAX_DEPTH) {
      throw new Blocked(Blocked.Reason.TOO_DEEP, prefix);
    }
    for (String name : names(dir)) {
      Optional<BasicFileAttributes> a = attributes(dir, name);
      if (a.isEmpty()) {
        continue; // removed meanwhile
      }
      String path = prefix.isEmpty() ? name : prefix + "/" + name;
      out.add(new Found(path, a.get()));
      if (recursive && a.get().isDirectory()) {
        SecureDirectoryStream<Path> sub;
        try {
          sub = openDirectory(dir, name, path);
        } catch (Blocked changed) {
          continue; // no longer a directory: listed as it was, not entered
        }
        try (sub) {
          list(sub, path, true, depth + 1, out);
        }
      }
    }
  }

  private static List<String> names(SecureDirectoryStream<Path> dir) {
    List<String> names = new ArrayList<>();
    for (Path p : dir) {
      names.add(p.getFileName().toString());
    }
    return names;
  }
}
