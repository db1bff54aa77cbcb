package dev.skiff.server.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Bytes that every control plane on one store can read: classpath jars, payload blobs and image
 * recipes, each an immutable object named by a {@link Kind} and a key. A control plane keeps its
 * own copies in its data directory and puts what it receives here too, so that another replica on
 * the same database can copy it from here when it needs it.
 *
 * <p>A store of one control plane (SQLite, in memory) has {@link #none()}: its data directory is
 * the only truth, and {@link #shared()} says so. PostgreSQL's store keeps the objects in its
 * database, in chunks.
 *
 * <p><b>Promises.</b> {@link #put} returns once the object is durable, and an object is visible
 * only whole: a reader never sees a half-written object. Reads stream it (never the whole object in
 * memory). Objects are meant to be written once per key (jars are named by their sha-256, blobs by
 * a random id, image recipes by their content hash); a second put of a key replaces the object.
 * Thread-safe.
 */
public interface SharedBytes {
  /** What an object is: its kind is part of its name. */
  enum Kind {
    /** A classpath jar, keyed by its sha-256. */
    JAR,
    /** A payload blob, keyed by its blob id. */
    BLOB,
    /** An image's recipe, keyed by its image id. */
    IMAGE;

    /** The kind's name in a store: {@code jar}, {@code blob}, {@code image}. */
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * Whether objects put here are seen by other control plane processes: false for {@link #none}.
   */
  boolean shared();

  /**
   * Stores the bytes of {@code in} (read to its end, not closed) as object {@code kind/key},
   * replacing one of that name; returns once it is durable.
   *
   * @return its size in bytes
   * @throws UncheckedIOException if it could not be read or stored; nothing of it is then visible
   */
  long put(Kind kind, String key, InputStream in);

  /**
   * Stores the file {@code file} as object {@code kind/key}; see {@link #put(Kind, String,
   * InputStream)}.
   */
  default long put(Kind kind, String key, Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return put(kind, key, in);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + file + " to share it", e);
    }
  }

  /**
   * The bytes of object {@code kind/key}, streamed: the caller closes the stream. A read that finds
   * the object deleted or replaced part way fails with an {@link IOException} rather than returning
   * a mix.
   *
   * @return empty if there is no such object
   * @throws UncheckedIOException if the store could not be asked
   */
  Optional<InputStream> open(Kind kind, String key);

  /**
   * Which of {@code keys} name objects of {@code kind} here.
   *
   * @throws UncheckedIOException if the store could not be asked
   */
  Set<String> existing(Kind kind, Collection<String> keys);

  /**
   * Deletes object {@code kind/key}, if there is one.
   *
   * @return whether there was one
   * @throws UncheckedIOException if the store could not be asked
   */
  boolean delete(Kind kind, String key);

  /**
   * The shared bytes of a store that no other control plane uses: nothing is stored, nothing is
   * found, and {@link #shared()} is false.
   */
  static SharedBytes none() {
    return NoSharedBytes.INSTANCE;
  }
}
