package dev.skiff.server.files;

import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.VolumeMount;
import dev.skiff.server.common.Statuses;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The volumes of a control plane: one directory per volume under {@code <data-dir>/volumes/}, so
 * they outlive containers, runs and the control plane itself. A volume exists exactly when its
 * directory does; nothing else records it.
 *
 * <p>Containers mount the directory itself, so a write is visible to every other container and to
 * the client API as soon as it is made (there is no commit or reload). Files written through the
 * client API are written beside the volumes ({@code volumes/.incoming}) and renamed into place, so
 * they appear whole.
 *
 * <p>Every path from a client is relative to the volume's root, without {@code ..}, and is walked
 * from the volume's directory one component at a time through directory handles ({@link
 * ConfinedTree}): a symbolic link at any component (which a container may have made, or may swap in
 * at any moment) is refused, never followed. Thread-safe: the file system is the only state.
 */
public final class VolumeStore {
  /** What a volume name may be: the SDK's rule. */
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}");

  /** Mount paths no volume may take: the sandbox's own mounts and the system's directories. */
  static final Set<String> RESERVED_PATHS =
      Set.of("/", "/tmp", "/proc", "/dev", "/sys", "/usr", "/bin", "/lib", "/etc", "/skiff");

  private final Path root;
  private final Path incoming;
  private final Optional<String> sandboxUnavailable;

  /**
   * The volumes under {@code dataDir/volumes}.
   *
   * @param sandboxUnavailable why functions that mount volumes cannot run here, if they cannot
   */
  public VolumeStore(Path dataDir, Optional<String> sandboxUnavailable) {
    this.root = dataDir.resolve("volumes").toAbsolutePath();
    this.incoming = root.resolve(".incoming");
    this.sandboxUnavailable = sandboxUnavailable;
  }

  /**
   * The directory of volume {@code name} under {@code dataDir} (which may not exist): where a
   * container backend on this machine finds a volume that a container mounts by name.
   */
  public static Path directory(Path dataDir, String name) {
    return dataDir.resolve("volumes").resolve(name).toAbsolutePath();
  }

  // ------------------------------------------------------------------ apps

  /**
   * Checks the volumes of an app's functions and creates the missing ones that may be created, all
   * or nothing: paths and names allowed, the sandbox present, every volume existing or marked
   * {@code createIfMissing}.
   *
   * @throws StatusRuntimeException INVALID_ARGUMENT for a bad path or name, UNIMPLEMENTED without
   *     the sandbox, NOT_FOUND for a missing volume
   */
  public void prepare(String appName, List<FunctionDef> functions) {
    List<String> toCreate = new ArrayList<>();
    for (FunctionDef f : functions) {
      Set<String> paths = new HashSet<>();
      for (VolumeMount m : f.getVolumesList()) {
        String where = "function '" + f.getName() + "' of app '" + appName + "'";
        checkName(m.getVolume());
        checkMountPath(m.getPath(), where);
        if (!paths.add(m.getPath())) {
          throw Statuses.invalid(where + " mounts two volumes at " + m.getPath());
        }
        if (sandboxUnavailable.isPresent()) {
          throw Status.UNIMPLEMENTED
              .withDescription(
                  where
                      + " mounts volume '"
                      + m.getVolume()
                      + "' at "
                      + m.getPath()
                      + ", which needs the container sandbox: "
                      + sandboxUnavailable.get())
              .asRuntimeException();
        }
        if (!exists(m.getVolume())) {
          if (!m.getCreateIfMissing()) {
            throw Statuses.notFound(
                "volume '"
                    + m.getVolume()
                    + "' (mounted by "
                    + where
                    + " at "
                    + m.getPath()
                    + ") does not exist; create it (Volume.fromName(\""
                    + m.getVolume()
                    + "\").create(), or skiff volume create "
                    + m.getVolume()
                    + ") or use Volume.fromName(\""
                    + m.getVolume()
                    + "\").createIfMissing()");
          }
          toCreate.add(m.getVolume());
        }
      }
    }
    toCreate.forEach(this::ensure);
  }

  /** The names of a function's volumes, by mount path. */
  public static Map<String, String> mounts(FunctionDef def) {
    Map<String, String> mounts = new LinkedHashMap<>();
    def.getVolumesList().forEach(m -> mounts.put(m.getPath(), m.getVolume()));
    return mounts;
  }

  private static void checkMountPath(String path, String where) {
    boolean normal =
        path.startsWith("/")
            && !path.endsWith("/")
            && Stream.of(path.substring(1).split("/", -1))
                .noneMatch(s -> s.isEmpty() || s.equals(".") || s.equals(".."));
    if (!normal || RESERVED_PATHS.contains(path)) {
      throw Statuses.invalid(
          where
              + " mounts a volume at '"
              + path
              + "'; allowed is an absolute path without '.',"
              + " '..', '//' or a trailing '/', other than "
              + RESERVED_PATHS);
    }
  }

  // ------------------------------------------------------------------ volumes

  static void checkName(String name) {
    if (!NAME.matcher(name).matches()) {
      throw Statuses.invalid(
          "volume name '"
              + name
              + "' is not allowed; use 1-64 of [A-Za-z0-9_.-], starting with"
              + " a letter or digit");
    }
  }

  boolean exists(String name) {
    checkName(name);
    return Files.isDirectory(root.resolve(name), LinkOption.NOFOLLOW_LINKS);
  }

  /** Creates a volume; ALREADY_EXISTS if it exists. */
  public VolumeInfo create(String name) {
    checkName(name);
    try {
      Files.createDirectories(root);
      Path dir = Files.createDirectory(root.resolve(name));
      return new VolumeInfo(name, createdMillis(dir));
    } catch (FileAlreadyExistsException e) {
      throw Status.ALREADY_EXISTS
          .withDescription("volume '" + name + "' already exists")
          .asRuntimeException();
    } catch (IOException e) {
      throw new UncheckedIOException("could not create volume '" + name + "'", e);
    }
  }

  /** The volume's directory, created if it does not exist. */
  public Path ensure(String name) {
    checkName(name);
    try {
      Files.createDirectories(root.resolve(name));
      return root.resolve(name);
    } catch (IOException e) {
      throw new UncheckedIOException("could not create volume '" + name + "'", e);
    }
  }

  /** The volume's directory; NOT_FOUND if it does not exist. */
  Path existing(String name) {
    if (!exists(name)) {
      throw Statuses.notFound("volume '" + name + "' does not exist");
    }
    return root.resolve(name);
  }

  /** Every volume, by name. */
  public List<VolumeInfo> list() {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> dirs = Files.list(root)) {
      return dirs.filter(d -> Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS))
          .filter(d -> NAME.matcher(d.getFileName().toString()).matches())
          .map(d -> new VolumeInfo(d.getFileName().toString(), createdMillis(d)))
          .sorted(Comparator.comparing(VolumeInfo::name))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("could not list the volumes in " + root, e);
    }
  }

  /** A volume's name and when it was created. */
  public record VolumeInfo(String name, long createdMillis) {}

  private static long createdMillis(Path dir) {
    try {
      return Files.readAttributes(dir, BasicFileAttributes.class).creationTime().toMillis();
    } catch (IOException e) {
      return 0;
    }
  }

  /** Deletes a volume and its files; NOT_FOUND if it does not exist. */
  public void delete(String name) {
    Path dir = existing(name);
    try {
      // Renamed first, so that the volume is gone at once even if deleting its files takes long.
      // A container that still mounts it may still change it, so its files are deleted through
      // directory handles, never by path.
      Files.createDirectories(incoming);
      Path doomed = incoming.resolve("deleted-" + name + "-" + System.nanoTime());
      Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
      try (SecureDirectoryStream<Path> files = ConfinedTree.openTrusted(doomed)) {
        ConfinedTree.deleteContents(files, "", 0);
      }
      Files.delete(doomed);
    } catch (ConfinedTree.Blocked e) {
      throw refused(e, name, "", "");
    } catch (IOException e) {
      throw new UncheckedIOException("could not delete volume '" + name + "'", e);
    }
  }

  // ------------------------------------------------------------------ files
  //
  // A container may change a volume at any moment (it mounts it read-write), so no client path is
  // ever resolved by the kernel from a string: each operation opens the volume's directory and
  // walks
  // the path one component at a time through directory handles (ConfinedTree), refusing a symbolic
  // link at any component. What a check saw cannot be swapped before the use, because the use goes
  // through the same handles.

  /** The path with '/' separators, no leading or trailing '/', no '.' segments; checked. */
  static String normalise(String path) {
    if (path.indexOf('\0') >= 0) {
      throw Statuses.invalid("path '" + path + "' contains a NUL character");
    }
    List<String> parts = new ArrayList<>();
    for (String s : path.split("/", -1)) {
      if (s.equals("..")) {
        throw Statuses.invalid(
            "path '" + path + "' contains '..'; allowed are paths inside the volume");
      }
      if (!s.isEmpty() && !s.equals(".")) {
        parts.add(s);
      }
    }
    return String.join("/", parts);
  }

  private static List<String> parts(String path) {
    String normal = normalise(path);
    return normal.isEmpty() ? List.of() : List.of(normal.split("/"));
  }

  private static List<String> parents(List<String> parts) {
    return parts.subList(0, parts.size() - 1);
  }

  private static String last(List<String> parts) {
    return parts.get(parts.size() - 1);
  }

  /** The volume's directory as a handle; NOT_FOUND if it does not exist. */
  private SecureDirectoryStream<Path> openVolume(String name) throws IOException {
    existing(name);
    try (SecureDirectoryStream<Path> volumes = ConfinedTree.openTrusted(root)) {
      return ConfinedTree.openDirectory(volumes, name, name);
    } catch (ConfinedTree.Blocked e) {
      throw Statuses.notFound("volume '" + name + "' does not exist");
    }
  }

  /**
   * The error for a walk that stopped: INVALID_ARGUMENT for a link or a tree too deep, otherwise
   * {@code otherwise} (NOT_FOUND or INVALID_ARGUMENT, by operation) with the path as given.
   */
  private static StatusRuntimeException refused(
      ConfinedTree.Blocked b, String volume, String path, String otherwise) {
    String normal = normalise(path);
    return switch (b.reason()) {
      case LINK ->
          Statuses.invalid(
              b.at().equals(normal)
                  ? "path '"
                      + normal
                      + "' in volume '"
                      + volume
                      + "' is a symbolic link, which"
                      + " the volume API does not follow"
                  : "path '"
                      + normal
                      + "' in volume '"
                      + volume
                      + "' passes through the symbolic"
                      + " link '"
                      + b.at()
                      + "', which the volume API does not follow");
      case TOO_DEEP ->
          Statuses.invalid(
              "'"
                  + b.at()
                  + "' in volume '"
                  + volume
                  + "' lies more than "
                  + ConfinedTree.MAX_DEPTH
                  + " directories deep, deeper than the volume API goes");
      case MISSING, NOT_DIRECTORY -> Statuses.notFound(otherwise);
    };
  }

  private static ConfinedTree.Blocked link(List<String> parts) {
    return new ConfinedTree.Blocked(ConfinedTree.Blocked.Reason.LINK, String.join("/", parts));
  }

  /** One file or directory of a volume. */
  public record Entry(String path, boolean directory, long size, long modifiedMillis) {}

  /**
   * What lies in a directory of a volume (at any depth if {@code recursive}), or the file itself;
   * symbolic links and special files are left out, never followed.
   */
  public List<Entry> listFiles(String name, String dir, boolean recursive) {
    List<String> parts = parts(dir);
    String missing = "'" + dir + "' does not exist in volume '" + name + "'";
    List<ConfinedTree.Found> found = new ArrayList<>();
    try (SecureDirectoryStream<Path> volume = openVolume(name)) {
      if (parts.isEmpty()) {
        try (SecureDirectoryStream<Path> top = ConfinedTree.walk(volume, parts, Optional.empty())) {
          ConfinedTree.list(top, "", recursive, 1, found);
        }
      } else {
        try (SecureDirectoryStream<Path> parent =
            ConfinedTree.walk(volume, parents(parts), Optional.empty())) {
          BasicFileAttributes a =
              ConfinedTree.attributes(parent, last(parts))
                  .orElseThrow(() -> Statuses.notFound(missing));
          String path = String.join("/", parts);
          if (a.isSymbolicLink()) {
            throw link(parts);
          } else if (a.isDirectory()) {
            try (SecureDirectoryStream<Path> start =
                ConfinedTree.openDirectory(parent, last(parts), path)) {
              ConfinedTree.list(start, path, recursive, 1, found);
            }
          } else {
            found.add(new ConfinedTree.Found(path, a));
          }
        }
      }
    } catch (ConfinedTree.Blocked e) {
      throw refused(e, name, dir, missing);
    } catch (IOException e) {
      throw new UncheckedIOException("could not list '" + dir + "' in volume '" + name + "'", e);
    }
    return found.stream()
        .filter(f -> f.attributes().isDirectory() || f.attributes().isRegularFile())
        .map(
            f ->
                new Entry(
                    f.path(),
                    f.attributes().isDirectory(),
                    f.attributes().isDirectory() ? 0 : f.attributes().size(),
                    f.attributes().lastModifiedTime().toMillis()))
        .sorted(Comparator.comparing(Entry::path))
        .toList();
  }

  /**
   * Opens a regular file of a volume to read; NOT_FOUND if it is not one, INVALID_ARGUMENT if the
   * path is or passes through a symbolic link.
   */
  public InputStream read(String name, String path) {
    List<String> parts = parts(path);
    String notFile = "'" + path + "' is not a file in volume '" + name + "'";
    if (parts.isEmpty()) {
      throw Statuses.notFound(notFile + " (it is a directory)");
    }
    try (SecureDirectoryStream<Path> volume = openVolume(name);
        SecureDirectoryStream<Path> parent =
            ConfinedTree.walk(volume, parents(parts), Optional.empty())) {
      BasicFileAttributes a =
          ConfinedTree.attributes(parent, last(parts))
              .orElseThrow(() -> Statuses.notFound(notFile));
      if (a.isSymbolicLink()) {
        throw link(parts);
      }
      if (!a.isRegularFile()) {
        throw Statuses.notFound(notFile + (a.isDirectory() ? " (it is a directory)" : ""));
      }
      try {
        return Channels.newInputStream(ConfinedTree.openToRead(parent, last(parts)));
      } catch (IOException e) {
        Optional<BasicFileAttributes> now = ConfinedTree.attributes(parent, last(parts));
        if (now.map(BasicFileAttributes::isSymbolicLink).orElse(false)) {
          throw link(parts); // swapped for a link since: O_NOFOLLOW refused it
        }
        throw e;
      }
    } catch (ConfinedTree.Blocked e) {
      throw refused(e, name, path, notFile);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read '" + path + "' in volume '" + name + "'", e);
    }
  }

  /**
   * Checks, before an upload's first byte is stored, that {@code path} of volume {@code name} could
   * be written: not the root, no symbolic link or file on the way, not a directory or link itself.
   */
  public void checkWritable(String name, String path) {
    List<String> parts = parts(path);
    if (parts.isEmpty()) {
      throw Statuses.invalid("a file needs a path inside volume '" + name + "'");
    }
    try (SecureDirectoryStream<Path> volume = openVolume(name)) {
      try (SecureDirectoryStream<Path> parent =
          ConfinedTree.walk(volume, parents(parts), Optional.empty())) {
        checkTarget(parent, parts, name, path);
      } catch (ConfinedTree.Blocked e) {
        if (e.reason() != ConfinedTree.Blocked.Reason.MISSING) {
          throw e; // a missing directory is made at the end; everything before it was checked
        }
      }
    } catch (ConfinedTree.Blocked e) {
      throw refused(e, name, path, parentIsFile(name, path));
    } catch (IOException e) {
      throw new UncheckedIOException("could not check '" + path + "' in volume '" + name + "'", e);
    }
  }

  private static void checkTarget(
      SecureDirectoryStream<Path> parent, List<String> parts, String name, String path)
      throws IOException {
    Optional<BasicFileAttributes> a = ConfinedTree.attributes(parent, last(parts));
    if (a.isPresent() && a.get().isSymbolicLink()) {
      throw link(parts);
    }
    if (a.isPresent() && a.get().isDirectory()) {
      throw Statuses.invalid("'" + path + "' is a directory in volume '" + name + "'");
    }
  }

  private static String parentIsFile(String name, String path) {
    return "a parent of '" + path + "' is a file in volume '" + name + "'";
  }

  /** A new file beside the volumes to write an upload into, before {@link #commit}. */
  public Path newIncoming() {
    try {
      Files.createDirectories(incoming);
      return Files.createTempFile(incoming, "upload-", ".part");
    } catch (IOException e) {
      throw new UncheckedIOException("could not create a file under " + incoming, e);
    }
  }

  /**
   * Moves an upload into place at {@code path} of volume {@code name}, making the directories on
   * the way, atomically replacing a file there; the rename goes through the handle of the target's
   * directory, reached without following links.
   */
  public void commit(Path upload, String name, String path) {
    List<String> parts = parts(path);
    if (parts.isEmpty()) {
      throw Statuses.invalid("a file cannot be written at the root of volume '" + name + "'");
    }
    try (SecureDirectoryStream<Path> volume = openVolume(name);
        SecureDirectoryStream<Path> parent =
            ConfinedTree.walk(volume, parents(parts), Optional.of(incoming))) {
      checkTarget(parent, parts, name, path);
      ConfinedTree.moveInto(upload, parent, last(parts));
    } catch (ConfinedTree.Blocked e) {
      throw e.reason() == ConfinedTree.Blocked.Reason.NOT_DIRECTORY
          ? Statuses.invalid(parentIsFile(name, path))
          : refused(e, name, path, parentIsFile(name, path));
    } catch (IOException e) {
      throw new UncheckedIOException("could not write '" + path + "' in volume '" + name + "'", e);
    }
  }

  /**
   * Removes a file, a symbolic link (the link itself) or a directory (with its contents only if
   * {@code recursive}).
   */
  public void remove(String name, String path, boolean recursive) {
    List<String> parts = parts(path);
    if (parts.isEmpty()) {
      throw Statuses.invalid(
          "the root of volume '" + name + "' cannot be removed; delete the volume instead");
    }
    String missing = "'" + path + "' does not exist in volume '" + name + "'";
    try (SecureDirectoryStream<Path> volume = openVolume(name);
        SecureDirectoryStream<Path> parent =
            ConfinedTree.walk(volume, parents(parts), Optional.empty())) {
      BasicFileAttributes a =
          ConfinedTree.attributes(parent, last(parts))
              .orElseThrow(() -> Statuses.notFound(missing));
      if (a.isDirectory() && recursive) {
        String at = String.join("/", parts);
        try (SecureDirectoryStream<Path> dir =
            ConfinedTree.openDirectory(parent, last(parts), at)) {
          ConfinedTree.deleteContents(dir, at, 1);
        }
      }
      ConfinedTree.delete(parent, last(parts), a);
    } catch (ConfinedTree.Blocked e) {
      throw refused(e, name, path, missing);
    } catch (DirectoryNotEmptyException e) {
      throw Statuses.failedPrecondition(
          "'"
              + path
              + "' in volume '"
              + name
              + "' is a directory that is not empty; remove it"
              + " recursively");
    } catch (IOException e) {
      throw new UncheckedIOException("could not remove '" + path + "' in volume '" + name + "'", e);
    }
  }
}
