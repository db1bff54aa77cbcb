package dev.skiff;

import java.time.Instant;
import java.util.Objects;

/**
 * A file or directory in a {@link Volume}, as {@link Volume#listFiles(String)} lists it.
 *
 * @param path the path relative to the volume's root, with {@code /} separators (e.g. {@code
 *     "models/a.bin"})
 * @param directory whether it is a directory
 * @param size the file's size in bytes (0 for a directory)
 * @param modified when it was last modified
 */
public record VolumeEntry(String path, boolean directory, long size, Instant modified) {
  /** Rejects nulls. */
  public VolumeEntry {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(modified, "modified");
  }
}
