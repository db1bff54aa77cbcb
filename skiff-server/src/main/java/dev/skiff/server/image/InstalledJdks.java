package dev.skiff.server.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The JDKs installed on this node, found by their {@code release} files: this JVM's own home,
 * {@code JAVA_HOME}, and every directory under {@code /usr/lib/jvm}. Immutable.
 */
public final class InstalledJdks {
  private static final Pattern JAVA_VERSION =
      Pattern.compile("^JAVA_VERSION=\"?(\\d+)", Pattern.MULTILINE);

  /** One JDK: its feature version and home directory. */
  public record Jdk(int feature, Path home) {}

  private final List<Jdk> jdks;

  InstalledJdks(List<Jdk> jdks) {
    this.jdks = List.copyOf(jdks);
  }

  /** Scans the usual places of this machine. */
  public static InstalledJdks scan() {
    List<Path> candidates = new ArrayList<>();
    candidates.add(Path.of(System.getProperty("java.home")));
    String javaHome = System.getenv("JAVA_HOME");
    if (javaHome != null && !javaHome.isBlank()) {
      candidates.add(Path.of(javaHome));
    }
    try (Stream<Path> dirs = Files.list(Path.of("/usr/lib/jvm"))) {
      dirs.sorted(Comparator.naturalOrder()).forEach(candidates::add);
    } catch (IOException e) {
      // No /usr/lib/jvm on this machine: the others remain.
    }
    return of(candidates);
  }

  /** The JDKs among {@code homes} (first found wins per real path); others are skipped. */
  static InstalledJdks of(List<Path> homes) {
    Map<Path, Jdk> found = new LinkedHashMap<>();
    for (Path home : homes) {
      try {
        Path real = home.toRealPath();
        if (found.containsKey(real) || !Files.isExecutable(real.resolve("bin/java"))) {
          continue;
        }
        Matcher m = JAVA_VERSION.matcher(Files.readString(real.resolve("release")));
        if (m.find()) {
          int feature = Integer.parseInt(m.group(1));
          found.put(real, new Jdk(feature == 1 ? 8 : feature, real));
        }
      } catch (IOException | RuntimeException e) {
        // Not a JDK home (or unreadable): skip it.
      }
    }
    return new InstalledJdks(List.copyOf(found.values()));
  }

  /** Every JDK found, in scan order. */
  public List<Jdk> all() {
    return jdks;
  }

  /** The first JDK of this feature version. */
  public Optional<Jdk> find(int feature) {
    return jdks.stream().filter(j -> j.feature() == feature).findFirst();
  }

  /**
   * The JDK of this feature version.
   *
   * @throws ImageBuildFailure naming the missing version and listing the installed ones
   */
  public Jdk require(int feature) {
    return find(feature)
        .orElseThrow(
            () ->
                new ImageBuildFailure(
                    "jdk(" + feature + ")",
                    "JDK "
                        + feature
                        + " is not installed on this node; installed: "
                        + (jdks.isEmpty()
                            ? "none"
                            : String.join(
                                ", ",
                                jdks.stream()
                                    .map(j -> "JDK " + j.feature() + " (" + j.home() + ")")
                                    .toList())),
                    ""));
  }
}
