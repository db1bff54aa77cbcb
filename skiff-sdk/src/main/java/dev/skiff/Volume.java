package dev.skiff;

import dev.skiff.internal.VolumeClient;
import java.nio.file.Path;
import java.util.List;

/**
 * A persistent, named directory that functions mount at an absolute path, like the seed's {@code
 * Volume.from_name("my-cache")}:
 *
 * <pre>{@code
 * static final Function1<String, String> cached =
 *     app.function(Cache::cached, f -> f.volume("/cache", Volume.fromName("my-cache").createIfMissing()));
 * }</pre>
 *
 * <p>The control plane keeps each volume as a directory under {@code <data-dir>/volumes/<name>/},
 * so it outlives containers, runs and control-plane restarts. Containers mount that directory
 * itself: a file written by one container is visible to every other container of any app that
 * mounts the volume, and to the methods below, as soon as the write returns (there is no commit or
 * reload step). Mounting a volume needs the container sandbox (bubblewrap).
 *
 * <p>The instance methods work with the volume from outside a container (a program, a test, the
 * CLI); they connect like {@code app.run()}: to the configured server, else to an embedded control
 * plane. Paths are relative to the volume's root ({@code "/x"} and {@code "x"} are the same file);
 * {@code ..} is refused. A volume made with {@link #createIfMissing()} is created by {@link #write}
 * and {@link #upload}; the other methods need an existing volume and throw {@link
 * NotFoundException} otherwise.
 *
 * <p>Immutable and thread-safe.
 */
public final class Volume {
  private final String name;
  private final boolean createsIfMissing;

  private Volume(String name, boolean createsIfMissing) {
    if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}")) {
      throw new InvalidConfigurationException(
          "volumes: name '" + name + "' is not allowed; use 1-64 of [A-Za-z0-9_.-]");
    }
    this.name = name;
    this.createsIfMissing = createsIfMissing;
  }

  /**
   * The volume stored under {@code name}; it must exist unless {@link #createIfMissing()} is used.
   *
   * @throws InvalidConfigurationException if the name is not allowed
   */
  public static Volume fromName(String name) {
    return new Volume(name, false);
  }

  /** This volume, created when it does not exist yet. */
  public Volume createIfMissing() {
    return new Volume(name, true);
  }

  /** The volume's name. */
  public String name() {
    return name;
  }

  /** Whether the volume is created when it does not exist yet. */
  public boolean createsIfMissing() {
    return createsIfMissing;
  }

  // ------------------------------------------------------------------ working with volumes

  /**
   * Creates this volume on the control plane.
   *
   * @return this volume
   * @throws SkiffException if it exists already or the control plane cannot be reached
   */
  public Volume create() {
    VolumeClient.create(name);
    return this;
  }

  /** The names of every volume of the control plane, sorted. */
  public static List<String> list() {
    return VolumeClient.list();
  }

  /**
   * Deletes the volume {@code name} and every file in it. Containers that have it mounted keep
   * their view of the deleted files until they exit.
   *
   * @throws NotFoundException if it does not exist
   */
  public static void delete(String name) {
    fromName(name); // checks the name
    VolumeClient.delete(name);
  }

  /**
   * What lies directly in directory {@code dir} of this volume ({@code "/"} for its root), sorted
   * by path. A file's path lists that file alone.
   *
   * @throws NotFoundException if the volume or the directory does not exist
   */
  public List<VolumeEntry> listFiles(String dir) {
    return VolumeClient.listFiles(name, dir, false);
  }

  /** Like {@link #listFiles(String)}, including what lies in subdirectories, at any depth. */
  public List<VolumeEntry> listFilesRecursively(String dir) {
    return VolumeClient.listFiles(name, dir, true);
  }

  /**
   * The contents of a file of this volume.
   *
   * @throws NotFoundException if the volume or the file does not exist
   */
  public byte[] read(String path) {
    return VolumeClient.read(name, path);
  }

  /**
   * Writes a file of this volume, replacing what was there and creating its parent directories. The
   * file appears whole: a container or reader sees the old contents or the new, never part.
   */
  public void write(String path, byte[] data) {
    VolumeClient.write(name, path, data.clone(), createsIfMissing);
  }

  /**
   * Uploads a local file to {@code remotePath}, or a local directory's files to the same relative
   * paths under the directory {@code remotePath}.
   *
   * @throws SkiffException if the local path does not exist
   */
  public void upload(Path localFileOrDir, String remotePath) {
    VolumeClient.upload(localFileOrDir, name, remotePath, createsIfMissing);
  }

  /**
   * Downloads a file of this volume to the local file {@code local}, or a directory of it to the
   * local directory {@code local} (created, with its files at the same relative paths).
   */
  public void download(String remotePath, Path local) {
    VolumeClient.download(name, remotePath, local);
  }

  /**
   * Removes a file or directory of this volume; a directory that is not empty only if {@code
   * recursive}.
   *
   * @throws NotFoundException if it does not exist
   * @throws InvalidConfigurationException for a non-empty directory without {@code recursive}
   */
  public void remove(String path, boolean recursive) {
    VolumeClient.remove(name, path, recursive);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Volume v && v.name.equals(name) && v.createsIfMissing == createsIfMissing;
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Boolean.hashCode(createsIfMissing);
  }

  @Override
  public String toString() {
    return "Volume[" + name + (createsIfMissing ? ", createIfMissing" : "") + "]";
  }
}
