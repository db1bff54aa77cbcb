package dev.skiff.server.secrets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skiff.InvalidConfigurationException;
import dev.skiff.NotFoundException;
import dev.skiff.SkiffException;
import dev.skiff.internal.DurableFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Named secrets kept in a data directory, each encrypted with AES-256-GCM.
 *
 * <p>Layout: one file per secret, {@code <dataDir>/secrets/<name>.json}, holding the name, the key
 * names and the time of the last change in clear, and the values as one AES-256-GCM ciphertext with
 * a random 96-bit nonce. The name and the key names are the ciphertext's associated data, so a file
 * renamed, copied under another name or given other key names fails to decrypt instead of handing
 * out the wrong values. The 256-bit key lives in its own file, by default {@code
 * $SKIFF_HOME/secret.key} (else {@code ~/.skiff/secret.key}), outside the data directory, readable
 * by its owner only; it is created with the first secret. Values are never logged, never put in an
 * exception message and never written anywhere in clear.
 *
 * <p>Files are replaced atomically (written aside, forced to disk, renamed, the directory forced:
 * {@link DurableFiles}), so a control plane reading the store while {@code skiff secret create}
 * writes it, or after a crash of the machine or a full disk cut a write short, sees the old secret
 * or the new one, never half of one. The key file is forced before it takes its name. Methods are
 * thread-safe; separate processes may use the same store.
 */
public final class SecretStore {
  private static final String NAME_RULE = "[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}";
  private static final String KEY_RULE = "[A-Za-z_][A-Za-z0-9_]*";
  private static final int KEY_BYTES = 32;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final Path keyFile;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final Object lock = new Object(); // guards key creation and file writes of this instance

  private SecretStore(Path dataDir, Path keyFile, Clock clock) {
    this.dir = dataDir.toAbsolutePath().resolve("secrets");
    this.keyFile = keyFile.toAbsolutePath();
    this.clock = clock;
  }

  /**
   * The store of {@code dataDir} with its key in {@code keyFile}. Nothing is created until the
   * first secret is written.
   */
  public static SecretStore open(Path dataDir, Path keyFile, Clock clock) {
    return new SecretStore(dataDir, keyFile, clock);
  }

  /** The store of {@code dataDir} with its key in {@link #defaultKeyFile()}. */
  public static SecretStore open(Path dataDir) {
    return open(dataDir, defaultKeyFile(), Clock.systemUTC());
  }

  /**
   * Where the key is kept when none is given: {@code $SKIFF_HOME/secret.key} if {@code SKIFF_HOME}
   * is set, else {@code ~/.skiff/secret.key}.
   */
  public static Path defaultKeyFile() {
    String home = System.getenv("SKIFF_HOME");
    Path base =
        home != null && !home.isBlank()
            ? Path.of(home)
            : Path.of(System.getProperty("user.home"), ".skiff");
    return base.resolve("secret.key").toAbsolutePath();
  }

  /** The directory holding the secret files. */
  public Path directory() {
    return dir;
  }

  /** The file holding the encryption key. */
  public Path keyFile() {
    return keyFile;
  }

  /** A stored secret as listed: its name, key names and last change, never its values. */
  public record Entry(String name, List<String> keys, Instant updated) {
    /** Copies the keys. */
    public Entry {
      keys = List.copyOf(keys);
    }
  }

  /**
   * Stores {@code values} under {@code name}, replacing a secret of that name.
   *
   * @throws InvalidConfigurationException if the name or a key is not allowed, or there are no
   *     values
   * @throws SkiffException if the key or the secret cannot be written
   */
  public void put(String name, Map<String, String> values) {
    checkName(name);
    if (values.isEmpty()) {
      throw new InvalidConfigurationException("secret '" + name + "' needs at least one KEY=VALUE");
    }
    for (String key : values.keySet()) {
      checkKey(key);
    }
    Map<String, String> sorted = new TreeMap<>(values);
    List<String> keys = List.copyOf(sorted.keySet());
    synchronized (lock) {
      byte[] key = loadKey(true);
      byte[] nonce = new byte[NONCE_BYTES];
      random.nextBytes(nonce);
      byte[] plaintext;
      try {
        plaintext = JSON.writeValueAsBytes(sorted);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      byte[] ciphertext =
          crypt(Cipher.ENCRYPT_MODE, key, nonce, associatedData(name, keys), plaintext);
      Arrays.fill(plaintext, (byte) 0);
      ObjectNode file = JSON.createObjectNode();
      file.put("format", 1);
      file.put("name", name);
      file.putPOJO("keys", keys);
      file.put("updated", clock.instant().toString());
      file.put("cipher", "AES-256-GCM");
      file.put("nonce", Base64.getEncoder().encodeToString(nonce));
      file.put("ciphertext", Base64.getEncoder().encodeToString(ciphertext));
      try {
        if (!Files.isDirectory(dir)) {
          Files.createDirectories(dir.getParent());
          try {
            Files.createDirectory(
                dir,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
          } catch (FileAlreadyExistsException e) {
            // Created meanwhile by another writer.
          }
        }
        Path tmp = Files.createTempFile(dir, "." + name + "-", ".tmp", ownerOnly());
        DurableFiles.write(
            tmp, fileOf(name), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(file));
      } catch (IOException e) {
        throw new SkiffException("could not write secret '" + name + "' to " + dir + ": " + e);
      }
    }
  }

  /**
   * The values stored under {@code name}, or empty if there is no such secret.
   *
   * @throws SkiffException if the secret exists but cannot be read or decrypted (a missing or
   *     different key file, a damaged file)
   */
  public Optional<Map<String, String>> get(String name) {
    checkName(name);
    Optional<JsonNode> file = readFile(name);
    if (file.isEmpty()) {
      return Optional.empty();
    }
    JsonNode node = file.get();
    List<String> keys = keysOf(node);
    byte[] key = loadKey(false);
    byte[] plaintext;
    try {
      plaintext =
          crypt(
              Cipher.DECRYPT_MODE,
              key,
              Base64.getDecoder().decode(node.path("nonce").asText()),
              associatedData(name, keys),
              Base64.getDecoder().decode(node.path("ciphertext").asText()));
    } catch (IllegalArgumentException e) {
      throw new SkiffException(
          "secret '" + name + "' in " + fileOf(name) + " is damaged: " + e.getMessage());
    }
    try {
      Map<String, String> values = new TreeMap<>();
      JSON.readTree(plaintext)
          .properties()
          .forEach(p -> values.put(p.getKey(), p.getValue().asText()));
      return Optional.of(Map.copyOf(values));
    } catch (IOException e) {
      throw new SkiffException("secret '" + name + "' in " + fileOf(name) + " is damaged");
    } finally {
      Arrays.fill(plaintext, (byte) 0);
    }
  }

  /** The stored secrets by name, without their values. */
  public List<Entry> list() {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<Entry> entries = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).toList()) {
        String fileName = f.getFileName().toString();
        String name = fileName.substring(0, fileName.length() - ".json".length());
        if (!name.matches(NAME_RULE)) {
          continue;
        }
        readFile(name)
            .ifPresent(
                node ->
                    entries.add(
                        new Entry(
                            name, keysOf(node), Instant.parse(node.path("updated").asText()))));
      }
    } catch (IOException e) {
      throw new SkiffException("could not list the secrets in " + dir + ": " + e);
    }
    entries.sort(Comparator.comparing(Entry::name));
    return List.copyOf(entries);
  }

  /**
   * Deletes the secret {@code name}.
   *
   * @throws NotFoundException if there is no such secret
   */
  public void delete(String name) {
    checkName(name);
    synchronized (lock) {
      try {
        if (!Files.deleteIfExists(fileOf(name))) {
          throw new NotFoundException("secret '" + name + "' not found in " + dir);
        }
        DurableFiles.forceDirectory(dir); // gone for good, not back after a crash of the machine
      } catch (IOException e) {
        throw new SkiffException("could not delete secret '" + name + "': " + e);
      }
    }
  }

  // ------------------------------------------------------------------ internals

  private Path fileOf(String name) {
    return dir.resolve(name + ".json");
  }

  private Optional<JsonNode> readFile(String name) {
    try {
      return Optional.of(JSON.readTree(Files.readAllBytes(fileOf(name))));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new SkiffException(
          "could not read secret '" + name + "' from " + fileOf(name) + ": " + e);
    }
  }

  private static List<String> keysOf(JsonNode node) {
    List<String> keys = new ArrayList<>();
    node.path("keys").forEach(k -> keys.add(k.asText()));
    return keys;
  }

  private static byte[] associatedData(String name, List<String> keys) {
    return ("skiff-secret/1\n" + name + "\n" + String.join(",", keys))
        .getBytes(StandardCharsets.UTF_8);
  }

  private byte[] crypt(int mode, byte[] key, byte[] nonce, byte[] aad, byte[] input) {
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(aad);
      return cipher.doFinal(input);
    } catch (AEADBadTagException e) {
      throw new SkiffException(
          "a secret in "
              + dir
              + " cannot be decrypted with the key in "
              + keyFile
              + ": the key is not the one it was written with, or the file was changed");
    } catch (GeneralSecurityException e) {
      throw new SkiffException("AES-256-GCM is not available in this JVM: " + e);
    }
  }

  /** Reads the key, creating it first when {@code create} is set and there is none. */
  private byte[] loadKey(boolean create) {
    synchronized (lock) {
      try {
        byte[] key = Files.readAllBytes(keyFile);
        if (key.length != KEY_BYTES) {
          throw new SkiffException(
              "the secret key file "
                  + keyFile
                  + " holds "
                  + key.length
                  + " bytes; it must hold "
                  + KEY_BYTES);
        }
        return key;
      } catch (NoSuchFileException e) {
        if (!create) {
          throw new SkiffException(
              "the secret key file "
                  + keyFile
                  + " is missing, so the secrets in "
                  + dir
                  + " cannot be decrypted; set SKIFF_HOME to the directory that holds secret.key");
        }
      } catch (IOException e) {
        throw new SkiffException("could not read the secret key file " + keyFile + ": " + e);
      }
      byte[] key = new byte[KEY_BYTES];
      random.nextBytes(key);
      try {
        Files.createDirectories(keyFile.getParent());
        Path tmp = Files.createTempFile(keyFile.getParent(), ".secret-", ".key", ownerOnly());
        try {
          Files.write(tmp, key, StandardOpenOption.WRITE);
          DurableFiles.force(tmp);
          // Never replace a key another process created meanwhile: its secrets would be lost.
          Files.createLink(keyFile, tmp);
          DurableFiles.forceDirectory(keyFile.getParent());
        } finally {
          Files.deleteIfExists(tmp);
        }
      } catch (FileAlreadyExistsException e) {
        return loadKey(false);
      } catch (IOException e) {
        throw new SkiffException("could not create the secret key file " + keyFile + ": " + e);
      }
      return key;
    }
  }

  private static FileAttribute<?> ownerOnly() {
    return PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
  }

  private static void checkName(String name) {
    if (name == null || !name.matches(NAME_RULE)) {
      throw new InvalidConfigurationException(
          "secret name '"
              + name
              + "' is not allowed; use 1-64 of [A-Za-z0-9_.-], starting with a"
              + " letter or digit");
    }
  }

  private static void checkKey(String key) {
    if (key == null || !key.matches(KEY_RULE) || key.startsWith("SKIFF_")) {
      throw new InvalidConfigurationException(
          "secret key '"
              + key
              + "' is not allowed; use [A-Za-z_][A-Za-z0-9_]* not starting with"
              + " SKIFF_");
    }
  }
}
