package dev.skiff.server.image;

import dev.skiff.proto.AddLocalStep;
import dev.skiff.proto.ImageFile;
import dev.skiff.proto.ImageRecipe;
import dev.skiff.proto.ImageStep;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The id of an image: a SHA-256 hash over a canonical encoding of its recipe, with each added
 * file's path, mode and content hash, so that the same recipe always gets the same id and any
 * change (a step, a file's content) a new one; a Debian image's also covers the home and version of
 * the JDK that builds it, which its containers run. The encoding names a format version, bumped
 * when building changes what a recipe produces.
 */
final class RecipeHash {
  /** Hex characters of an image id. */
  static final int ID_LENGTH = 24;

  private static final String FORMAT = "skiff-image-v1 debian=bookworm/minbase";

  private static final String BUILDING_JDK =
      System.getProperty("java.home") + "@" + Runtime.version();

  private RecipeHash() {}

  static String of(ImageRecipe recipe) {
    MessageDigest sha = sha256();
    put(sha, FORMAT);
    for (ImageStep step : recipe.getStepsList()) {
      put(sha, step.getStepCase().name());
      switch (step.getStepCase()) {
        case JDK -> put(sha, Integer.toString(step.getJdk()));
        // A Debian image runs the JDK of the JVM that built it, bound in at its path: another
        // JDK (or the same path upgraded) makes another image.
        case DEBIAN_SLIM -> put(sha, BUILDING_JDK);
        case STEP_NOT_SET -> {}
        case MAVEN -> putAll(sha, step.getMaven().getValuesList());
        case APT_INSTALL -> putAll(sha, step.getAptInstall().getValuesList());
        case ENV -> {
          put(sha, step.getEnv().getName());
          put(sha, step.getEnv().getValue());
        }
        case ADD_LOCAL -> putFiles(sha, step.getAddLocal());
        case WORKDIR -> put(sha, step.getWorkdir());
        case RUN_COMMANDS -> putAll(sha, step.getRunCommands().getValuesList());
        case REGISTRY -> put(sha, step.getRegistry());
      }
    }
    return HexFormat.of().formatHex(sha.digest()).substring(0, ID_LENGTH);
  }

  private static void putFiles(MessageDigest sha, AddLocalStep add) {
    put(sha, add.getTarget());
    put(sha, Boolean.toString(add.getDirectory()));
    put(sha, Integer.toString(add.getFilesCount()));
    for (ImageFile f : add.getFilesList()) {
      put(sha, f.getPath());
      put(sha, Boolean.toString(f.getExecutable()));
      put(sha, HexFormat.of().formatHex(sha256().digest(f.getContent().toByteArray())));
    }
  }

  private static void putAll(MessageDigest sha, List<String> values) {
    put(sha, Integer.toString(values.size()));
    values.forEach(v -> put(sha, v));
  }

  /** Length-prefixed, so that no two different sequences of strings encode alike. */
  private static void put(MessageDigest sha, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    sha.update((bytes.length + ":").getBytes(StandardCharsets.US_ASCII));
    sha.update(bytes);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
