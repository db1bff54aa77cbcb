package dev.skiff;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a container runs on: a JDK, extra libraries, files, environment and build steps. An image is
 * an immutable recipe; each method returns a new image with one more step, like the seed's {@code
 * Image.debian_slim().pip_install(...)}.
 *
 * <p>Immutable and thread-safe.
 */
public final class Image {
  private static final Pattern MAVEN_COORDINATE =
      Pattern.compile("[A-Za-z0-9_.\\-]+:[A-Za-z0-9_.\\-]+(:[A-Za-z0-9_.\\-]+){1,3}");

  /** One step of an image recipe. */
  public sealed interface Step {
    /** Use this JDK feature version. */
    record Jdk(int version) implements Step {}

    /** Start from a minimal Debian root file system. */
    record DebianSlim() implements Step {}

    /** Resolve these Maven coordinates and put them on the classpath. */
    record Maven(List<String> coordinates) implements Step {}

    /** Install these Debian packages. */
    record AptInstall(List<String> packages) implements Step {}

    /** Set an environment variable. */
    record Env(String name, String value) implements Step {}

    /** Copy a local file or directory into the image. */
    record AddLocal(Path source, String target) implements Step {}

    /** Set the working directory. */
    record Workdir(String path) implements Step {}

    /** Run shell commands at build time. */
    record RunCommands(List<String> commands) implements Step {}
  }

  private final List<Step> steps;

  private Image(List<Step> steps) {
    this.steps = List.copyOf(steps);
  }

  /**
   * An image running the given JDK feature version (21 or later) from the node's installed JDKs.
   *
   * @throws InvalidConfigurationException if the version is below 21
   */
  public static Image jdk(int version) {
    if (version < 21) {
      throw new InvalidConfigurationException(
          "image: jdk(" + version + ") is not allowed; Skiff needs JDK 21 or later");
    }
    return new Image(List.of(new Step.Jdk(version)));
  }

  /** A minimal Debian root file system with the node's JDK bound in read-only. */
  public static Image debianSlim() {
    return new Image(List.of(new Step.DebianSlim()));
  }

  /**
   * Adds Maven artifacts ({@code group:artifact:version}) and their dependencies to the classpath.
   *
   * @throws InvalidConfigurationException if a coordinate is malformed
   */
  public Image maven(String... coordinates) {
    for (String c : coordinates) {
      if (c == null || !MAVEN_COORDINATE.matcher(c).matches()) {
        throw new InvalidConfigurationException(
            "image: maven coordinate '" + c + "' is malformed; allowed is group:artifact:version");
      }
    }
    return with(new Step.Maven(List.of(coordinates)));
  }

  /** Installs Debian packages (only on {@link #debianSlim()} images). */
  public Image aptInstall(String... packages) {
    for (String p : packages) {
      if (p == null || !p.matches("[a-z0-9][a-z0-9+.\\-]*(=[A-Za-z0-9.+~:\\-]+)?")) {
        throw new InvalidConfigurationException(
            "image: apt package '" + p + "' is not a valid Debian package name");
      }
    }
    return with(new Step.AptInstall(List.of(packages)));
  }

  /** Sets an environment variable in the image. */
  public Image env(String name, String value) {
    if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new InvalidConfigurationException(
          "image: environment variable name '" + name + "' is not allowed; use [A-Za-z_][A-Za-z0-9_]*");
    }
    return with(new Step.Env(name, Objects.requireNonNull(value, "value")));
  }

  /** Copies a local file into the image at an absolute path. */
  public Image addLocalFile(Path source, String target) {
    return with(new Step.AddLocal(source, absolute(target)));
  }

  /** Copies a local directory into the image at an absolute path. */
  public Image addLocalDir(Path source, String target) {
    return with(new Step.AddLocal(source, absolute(target)));
  }

  /** Sets the container's working directory. */
  public Image workdir(String path) {
    return with(new Step.Workdir(absolute(path)));
  }

  /** Runs shell commands inside the image at build time. */
  public Image runCommands(String... commands) {
    return with(new Step.RunCommands(List.of(commands)));
  }

  /** The recipe, in order. */
  public List<Step> steps() {
    return steps;
  }

  private Image with(Step step) {
    List<Step> next = new ArrayList<>(steps);
    next.add(step);
    return new Image(next);
  }

  private static String absolute(String path) {
    if (path == null || !path.startsWith("/")) {
      throw new InvalidConfigurationException(
          "image: path '" + path + "' must be absolute (start with /)");
    }
    return path;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Image i && i.steps.equals(steps);
  }

  @Override
  public int hashCode() {
    return steps.hashCode();
  }

  @Override
  public String toString() {
    return "Image" + Arrays.toString(steps.toArray());
  }
}
