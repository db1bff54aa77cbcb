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
  private static final String HOST_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?";
  private static final String PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
  // [registry[:port]/]name(/name)*[:tag][@sha256:digest], as container registries name images.
  private static final Pattern REGISTRY_REFERENCE =
      Pattern.compile(
          "(?:"
              + HOST_LABEL
              + "(?:\\."
              + HOST_LABEL
              + ")*(?::[0-9]{1,5})?/)?"
              + PATH_COMPONENT
              + "(?:/"
              + PATH_COMPONENT
              + ")*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?");
  private static final int MAX_REFERENCE_LENGTH = 512;

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

    /** Run on this image of a container registry, as it is: nothing is built. */
    record Registry(String reference) implements Step {}
  }

  private final List<Step> steps;

  private Image(List<Step> steps) {
    this.steps = List.copyOf(steps);
  }

  /**
   * An image running the given JDK feature version (21 or later), chosen among the JDKs installed
   * on the node (this JVM's, {@code JAVA_HOME} and those under {@code /usr/lib/jvm}, read from
   * their {@code release} files). A version that is not installed fails the build naming those that
   * are.
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

  /**
   * A minimal Debian root file system (bookworm, made with {@code mmdebstrap}), in which the
   * containers run with the control plane's JDK and the classpath bound in read-only, a private
   * writable {@code /tmp}, and {@code /root} as the working directory. Needs {@code mmdebstrap} and
   * bubblewrap ({@code bwrap}) on the node; a build without them fails naming what to install.
   */
  public static Image debianSlim() {
    return new Image(List.of(new Step.DebianSlim()));
  }

  /**
   * An image of a container registry, used as it is as the base of the function's containers:
   * {@code [registry[:port]/]name[:tag][@sha256:digest]}, e.g. {@code eclipse-temurin:21-jre} or
   * {@code registry.example/team/jre:21}. Skiff does not build it, and no other step than {@link
   * #env(String, String)} and {@link #workdir(String)} (absolute) may follow: what the containers
   * need (libraries, files, tools) must be baked into the image itself. The image must have a Java
   * 21 (or later) runtime on its {@code PATH} as {@code java}: containers run Skiff's boot class
   * with it, which fetches the app's jars from the control plane.
   *
   * <p>Only a container backend that pulls images runs it (the Kubernetes backend, {@code skiff
   * server --backend kubernetes}); the local backend refuses the app when it is run or deployed.
   *
   * @throws InvalidConfigurationException if the reference is blank, contains whitespace or is not
   *     a reference of the form above
   */
  public static Image fromRegistry(String reference) {
    if (reference == null || reference.isBlank()) {
      throw new InvalidConfigurationException(
          "image: fromRegistry needs an image reference, e.g. \"eclipse-temurin:21-jre\"");
    }
    if (reference.length() > MAX_REFERENCE_LENGTH
        || !REGISTRY_REFERENCE.matcher(reference).matches()) {
      throw new InvalidConfigurationException(
          "image: fromRegistry(\""
              + reference
              + "\") is not an image reference; allowed is"
              + " [registry[:port]/]name[/name...][:tag][@sha256:<64 hex digits>] (names in"
              + " lower case, no whitespace, at most "
              + MAX_REFERENCE_LENGTH
              + " characters), e.g. \"registry.example/team/jre:21\"");
    }
    return new Image(List.of(new Step.Registry(reference)));
  }

  /**
   * Adds Maven artifacts ({@code group:artifact:version}) and their runtime dependencies, resolved
   * from Maven Central by the control plane, to the containers' classpath, after the caller's own.
   * An artifact that cannot be resolved fails the build naming it.
   *
   * @throws InvalidConfigurationException if a coordinate is malformed, or on a {@link
   *     #fromRegistry registry image}
   */
  public Image maven(String... coordinates) {
    requireBuildable("maven");
    for (String c : coordinates) {
      if (c == null || !MAVEN_COORDINATE.matcher(c).matches()) {
        throw new InvalidConfigurationException(
            "image: maven coordinate '" + c + "' is malformed; allowed is group:artifact:version");
      }
    }
    return with(new Step.Maven(List.of(coordinates)));
  }

  /**
   * Installs Debian packages (only on {@link #debianSlim()} images; on others the build fails).
   *
   * @throws InvalidConfigurationException if a name is not a valid Debian package name, or on a
   *     {@link #fromRegistry registry image}
   */
  public Image aptInstall(String... packages) {
    requireBuildable("aptInstall");
    for (String p : packages) {
      if (p == null || !p.matches("[a-z0-9][a-z0-9+.\\-]*(=[A-Za-z0-9.+~:\\-]+)?")) {
        throw new InvalidConfigurationException(
            "image: apt package '" + p + "' is not a valid Debian package name");
      }
    }
    return with(new Step.AptInstall(List.of(packages)));
  }

  /**
   * Sets an environment variable for later build commands and for the containers (a function's
   * secrets override it).
   */
  public Image env(String name, String value) {
    if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new InvalidConfigurationException(
          "image: environment variable name '"
              + name
              + "' is not allowed; use [A-Za-z_][A-Za-z0-9_]*");
    }
    return with(new Step.Env(name, Objects.requireNonNull(value, "value")));
  }

  /**
   * Copies a local file into the image. A relative {@code target} is resolved against the image's
   * working directory; an absolute one needs a {@link #debianSlim()} image (other images have no
   * root file system of their own). The file's content is part of the image's identity: changing it
   * builds a new image.
   *
   * @throws InvalidConfigurationException if the target is empty or contains {@code ..}, or on a
   *     registry image
   */
  public Image addLocalFile(Path source, String target) {
    requireBuildable("addLocalFile");
    return with(new Step.AddLocal(Objects.requireNonNull(source, "source"), target(target)));
  }

  /**
   * Copies a local directory (recursively) into the image; {@code target} as for {@link
   * #addLocalFile(Path, String)}.
   *
   * @throws InvalidConfigurationException if the target is empty or contains {@code ..}, or on a
   *     registry image
   */
  public Image addLocalDir(Path source, String target) {
    requireBuildable("addLocalDir");
    return with(new Step.AddLocal(Objects.requireNonNull(source, "source"), target(target)));
  }

  /**
   * Sets the container's working directory, where {@code runCommands} also run: absolute inside a
   * {@link #debianSlim()} image (default {@code /root}) and in a {@link #fromRegistry registry
   * image} (default: the image's own); relative to the image's own directory otherwise (by default
   * the image's directory itself).
   *
   * @throws InvalidConfigurationException if the path is empty or contains {@code ..}, or is
   *     relative on a registry image
   */
  public Image workdir(String path) {
    if (registry() && (path == null || !path.startsWith("/"))) {
      throw new InvalidConfigurationException(
          "image: workdir(\""
              + path
              + "\") on a registry image must be an absolute path inside that image");
    }
    return with(new Step.Workdir(target(path)));
  }

  /**
   * Runs shell commands at build time, each with {@code bash -c} in the image's working directory
   * (inside the root file system of a {@link #debianSlim()} image). A command that exits non-zero
   * fails the build with an {@link ImageBuildException} showing its output.
   *
   * @throws InvalidConfigurationException if there is no command or one is blank, or on a registry
   *     image
   */
  public Image runCommands(String... commands) {
    requireBuildable("runCommands");
    if (commands.length == 0) {
      throw new InvalidConfigurationException("image: runCommands needs at least one command");
    }
    for (String c : commands) {
      if (c == null || c.isBlank()) {
        throw new InvalidConfigurationException("image: a runCommands command must not be blank");
      }
    }
    return with(new Step.RunCommands(List.of(commands)));
  }

  /** The recipe, in order. */
  public List<Step> steps() {
    return steps;
  }

  private boolean registry() {
    return steps.get(0) instanceof Step.Registry;
  }

  private void requireBuildable(String step) {
    if (steps.get(0) instanceof Step.Registry r) {
      throw new InvalidConfigurationException(
          "image: "
              + step
              + " cannot follow Image.fromRegistry(\""
              + r.reference()
              + "\"): Skiff does not build on top of a registry image (only env and workdir may"
              + " follow); bake it into the image itself, or build on Image.jdk(..) or"
              + " Image.debianSlim() instead");
    }
  }

  private Image with(Step step) {
    List<Step> next = new ArrayList<>(steps);
    next.add(step);
    return new Image(next);
  }

  private static String target(String path) {
    if (path == null || path.isBlank()) {
      throw new InvalidConfigurationException("image: a path must not be empty");
    }
    for (String segment : path.split("/", -1)) {
      if (segment.equals("..")) {
        throw new InvalidConfigurationException("image: path '" + path + "' must not contain '..'");
      }
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
