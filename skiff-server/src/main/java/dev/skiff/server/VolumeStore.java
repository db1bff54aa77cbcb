package dev.skiff.server;

import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.VolumeMount;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
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
 * <p>Every path from a client is checked: relative to the volume's root, no {@code ..}, and never
 * through a symbolic link (which a container may have made) to a place outside the volume.
 * Thread-safe: the file system is the only state.
 */
final class VolumeStore {
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
  VolumeStore(Path dataDir, Optional<String> sandboxUnavailable) {
    this.root = dataDir.resolve("volumes").toAbsolutePath();
    this.incoming = root.resolve(".incoming");
    this.sandboxUnavailable = sandboxUnavailable;
  }

  /** The directory of volume {@code name} under {@code dataDir} (which may not exist). */
  static Path directory(Path dataDir, String name) {
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
  void prepare(String appName, List<FunctionDef> functions) {
    List<String> toCreate = new ArrayList<>();
    for (FunctionDef f : functions) {
      Set<String> paths = new java.util.HashSet<>();
      for (VolumeMount m : f.getVolumesList()) {
        String where = "function '" + f.getName() + "' of app '" + appName + "'";
        checkName(m.getVolume());
        checkMountPath(m.getPath(), where);
        if (!paths.add(m.getPath())) {
          throw Statuses.invalid(where + " mounts two volumes at " + m.getPath());
        }
        if (sandboxUnavailable.isPresent()) {
          throw io.grpc.Status.UNIMPLEMENTED
              .withDescription(
                  where + " mounts volume '" + m.getVolume() + "' at " + m.getPath()
                      + ", which needs the container sandbox: " + sandboxUnavailable.get())
              .asRuntimeException();
        }
        if (!exists(m.getVolume())) {
          if (!m.getCreateIfMissing()) {
            throw Statuses.notFound(
                "volume '" + m.getVolume() + "' (mounted by " + where + " at " + m.getPath()
                    + ") does not exist; create it (Volume.fromName(\"" + m.getVolume()
                    + "\").create(), or skiff volume create " + m.getVolume()
                    + ") or use Volume.fromName(\"" + m.getVolume() + "\").createIfMissing()");
          }
          toCreate.add(m.getVolume());
        }
      }
    }
    toCreate.forEach(this::ensure);
  }

  /** The host directories of a function's volumes, by mount path. */
  static Map<String, Path> mounts(Path dataDir, FunctionDef def) {
    Map<String, Path> mounts = new LinkedHashMap<>();
    def.getVolumesList().forEach(m -> mounts.put(m.getPath(), directory(dataDir, m.getVolume())));
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
          where + " mounts a volume at '" + path + "'; allowed is an absolute path without '.',"
              + " '..', '//' or a trailing '/', other than " + RESERVED_PATHS);
    }
  }

  // ------------------------------------------------------------------ volumes

  static void checkName(String name) {
    if (!NAME.matcher(name).matches()) {
      throw Statuses.invalid(
          "volume name '" + name + "' is not allowed; use 1-64 of [A-Za-z0-9_.-], starting with"
              + " a letter or digit");
    }
  }

  boolean exists(String name) {
    checkName(name);
    return Files.isDirectory(root.resolve(name), LinkOption.NOFOLLOW_LINKS);
  }

  /** Creates a volume; ALREADY_EXISTS if it exists. */
  Path create(String name) {
    checkName(name);
    try {
      Files.createDirectories(root);
      return Files.createDirectory(root.resolve(name));
    } catch (FileAlreadyExistsException e) {
      throw io.grpc.Status.ALREADY_EXISTS
          .withDescription("volume '" + name + "' already exists")
          .asRuntimeException();
    } catch (IOException e) {
      throw new UncheckedIOException("could not create volume '" + name + "'", e);
    }
  }

  /** The volume's directory, created if it does not exist. */
  Path ensure(String name) {
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
  List<VolumeInfo> list() {
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
  record VolumeInfo(String name, long createdMillis) {}

  private static long createdMillis(Path dir) {
    try {
      return Files.readAttributes(dir, BasicFileAttributes.class).creationTime().toMillis();
    } catch (IOException e) {
      return 0;
    }
  }

  /** Deletes a volume and its files; NOT_FOUND if it does not exist. */
  void delete(String name) {
    Path dir = existing(name);
    try {
      // Renamed first, so that the volume is gone at once even if deleting its files takes long.
      Files.createDirectories(incoming);
      Path doomed = incoming.resolve("deleted-" + name + "-" + System.nanoTime());
      Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
      deleteTree(doomed);
    } catch (IOException e) {
      throw new UncheckedIOException("could not delete volume '" + name + "'", e);
    }
  }

  // ------------------------------------------------------------------ files

  /**
   * The host path of {@code path} in volume {@code name}, checked: relative to the volume, no
   * {@code ..}, and its existing part reached without leaving the volume through a symbolic link.
   */
  Path resolve(String name, String path) {
    Path target = resolveLink(name, path);
    if (Files.isSymbolicLink(target)) {
      throw Statuses.invalid(
          "path '" + path + "' is a symbolic link; the volume API does not follow links");
    }
    return target;
  }

  /** Like {@link #resolve}, but the path may name a symbolic link itself (to remove it). */
  private Path resolveLink(String name, String path) {
    Path volume = existing(name);
    String relative = normalise(path);
    Path target = relative.isEmpty() ? volume : volume.resolve(relative);
    checkInside(volume, target, path);
    return target;
  }

  /** The path with '/' separators, no leading or trailing '/', no '.' segments; checked. */
  static String normalise(String path) {
    if (path.indexOf('\0') >= 0) {
      throw Statuses.invalid("path '" + path + "' contains a NUL character");
    }
    List<String> parts = new ArrayList<>();
    for (String s : path.split("/")) {
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

  /** Refuses a path whose longest existing prefix lies outside the volume after links. */
  private static void checkInside(Path volume, Path target, String asGiven) {
    try {
      Path realVolume = volume.toRealPath();
      Path existing = target;
      while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
        existing = existing.getParent();
      }
      if (existing == null) {
        return;
      }
      Path real =
          Files.isSymbolicLink(existing) && existing.equals(target)
              ? existing.getParent().toRealPath().resolve(existing.getFileName())
              : existing.toRealPath();
      if (!real.startsWith(realVolume)) {
        throw Statuses.invalid(
            "path '" + asGiven + "' leads outside the volume through a symbolic link");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not check path '" + asGiven + "'", e);
    }
  }

  /** One file or directory of a volume. */
  record Entry(String path, boolean directory, long size, long modifiedMillis) {}

  /** What lies in a directory of a volume (at any depth if {@code recursive}); links are skipped. */
  List<Entry> listFiles(String name, String dir, boolean recursive) {
    Path volume = existing(name);
    Path start = resolve(name, dir);
    if (!Files.exists(start, LinkOption.NOFOLLOW_LINKS)) {
      throw Statuses.notFound("'" + dir + "' does not exist in volume '" + name + "'");
    }
    try (Stream<Path> paths = Files.walk(start, recursive ? Integer.MAX_VALUE : 1)) {
      List<Entry> entries = new ArrayList<>();
      for (Path p : paths.toList()) {
        if (p.equals(start) && Files.isDirectory(start, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        BasicFileAttributes a =
            Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isSymbolicLink() || a.isOther()) {
          continue;
        }
        String rel = volume.relativize(p).toString().replace(java.io.File.separatorChar, '/');
        entries.add(
            new Entry(rel, a.isDirectory(), a.isDirectory() ? 0 : a.size(),
                a.lastModifiedTime().toMillis()));
      }
      entries.sort(Comparator.comparing(Entry::path));
      return entries;
    } catch (NoSuchFileException e) {
      throw Statuses.notFound("'" + dir + "' does not exist in volume '" + name + "'");
    } catch (IOException e) {
      throw new UncheckedIOException("could not list '" + dir + "' in volume '" + name + "'", e);
    }
  }

  /** The host path of a regular file of a volume, to read; NOT_FOUND if it is not one. */
  Path file(String name, String path) {
    Path p = resolve(name, path);
    if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
      throw Statuses.notFound(
          "'" + path + "' is not a file in volume '" + name + "'"
              + (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? " (it is a directory)" : ""));
    }
    return p;
  }

  /** A new file beside the volumes to write an upload into, before {@link #commit}. */
  Path newIncoming() {
    try {
      Files.createDirectories(incoming);
      return Files.createTempFile(incoming, "upload-", ".part");
    } catch (IOException e) {
      throw new UncheckedIOException("could not create a file under " + incoming, e);
    }
  }

  /** Moves an upload into place at {@code path} of volume {@code name}, creating directories. */
  void commit(Path upload, String name, String path) {
    Path target = resolve(name, path);
    if (normalise(path).isEmpty()) {
      throw Statuses.invalid("a file cannot be written at the root of volume '" + name + "'");
    }
    try {
      Files.createDirectories(target.getParent());
      checkInside(existing(name), target, path); // again, now that the parents exist
      if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
        throw Statuses.invalid("'" + path + "' is a directory in volume '" + name + "'");
      }
      Files.move(upload, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (FileAlreadyExistsException e) {
      throw Statuses.invalid("a parent of '" + path + "' is a file in volume '" + name + "'");
    } catch (IOException e) {
      throw new UncheckedIOException("could not write '" + path + "' in volume '" + name + "'", e);
    }
  }

  /** Removes a file or directory (with its contents only if {@code recursive}). */
  void remove(String name, String path, boolean recursive) {
    Path target = resolveLink(name, path);
    if (normalise(path).isEmpty()) {
      throw Statuses.invalid(
          "the root of volume '" + name + "' cannot be removed; delete the volume instead");
    }
    if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw Statuses.notFound("'" + path + "' does not exist in volume '" + name + "'");
    }
    try {
      if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS) && recursive) {
        deleteTree(target);
      } else {
        Files.delete(target);
      }
    } catch (java.nio.file.DirectoryNotEmptyException e) {
      throw Statuses.failedPrecondition(
          "'" + path + "' in volume '" + name + "' is a directory that is not empty; remove it"
              + " recursively");
    } catch (IOException e) {
      throw new UncheckedIOException("could not remove '" + path + "' in volume '" + name + "'", e);
    }
  }

  /** Deletes a tree without following links out of it. */
  private static void deleteTree(Path top) throws IOException {
    try (Stream<Path> paths = Files.walk(top)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
