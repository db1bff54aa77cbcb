package dev.skiff.server.image;

import dev.skiff.internal.DurableFiles;
import dev.skiff.proto.AddLocalStep;
import dev.skiff.proto.ImageFile;
import dev.skiff.proto.ImageManifest;
import dev.skiff.proto.ImageRecipe;
import dev.skiff.proto.ImageStep;
import dev.skiff.server.backend.Capabilities;
import dev.skiff.server.backend.Capability;
import dev.skiff.server.backend.local.ProcessLauncher;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One build of one image, step by step, in a temporary directory that becomes {@code <images>/<id>}
 * when every step succeeded.
 *
 * <p>Layout of an image directory: {@code image.pb} (the {@link ImageManifest}), {@code contents}
 * and {@code image.sum} (the list of its entries and the completion marker, see {@link
 * ImageContents}), {@code lib/} (the resolved Maven artifacts, in classpath order), and either
 * {@code files/} (the file tree of a JDK image: added files and the working directory, where build
 * commands run) or {@code rootfs/} (the root file system of a Debian image, made with {@code
 * mmdebstrap --variant=minbase bookworm}; build commands run inside it with bubblewrap, which gives
 * them the network to install packages).
 *
 * <p>Steps run in recipe order; {@code env} applies to later build commands too, and {@code
 * workdir} to later relative paths. A step that fails throws {@link ImageBuildFailure} with its
 * output, and the temporary directory is removed.
 */
final class ImageBuild {
  static final String MANIFEST = "image.pb";
  static final String SUITE = "bookworm";
  static final String DEBIAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  private static final int TAIL_LINES = 200;

  private final String id;
  private final Path imagesDir;
  private final ImageRecipe recipe;
  private final InstalledJdks jdks;
  private final MavenArtifacts maven;
  private final Consumer<String> log;
  private final Set<Process> running;
  private final Capabilities capabilities;

  private Path tmp;
  private boolean debian;
  private InstalledJdks.Jdk jdk;
  private final Map<String, String> env = new LinkedHashMap<>();
  private final List<String> classpath = new ArrayList<>();
  // Files added at absolute paths to a JDK image: path in the container -> path relative to tmp.
  private final Map<String, String> mounts = new LinkedHashMap<>();
  // A JDK image: relative to tmp ("files" or "files/..."). A Debian image: absolute inside rootfs.
  // A registry image: absolute inside it, or empty for the image's own.
  private String workdir;
  // The reference of a registry image, which is recorded, not built; null for a built image.
  private String registry;

  ImageBuild(
      String id,
      Path imagesDir,
      ImageRecipe recipe,
      InstalledJdks jdks,
      MavenArtifacts maven,
      Consumer<String> log,
      Set<Process> running,
      Capabilities capabilities) {
    this.capabilities = capabilities;
    this.id = id;
    this.imagesDir = imagesDir;
    this.recipe = recipe;
    this.jdks = jdks;
    this.maven = maven;
    this.log = log;
    this.running = running;
  }

  BuiltImage run() {
    try {
      tmp = Files.createTempDirectory(imagesDir, ".build-" + id + "-");
    } catch (IOException e) {
      throw new UncheckedIOException("could not create a build directory in " + imagesDir, e);
    }
    boolean done = false;
    try {
      List<ImageStep> steps = recipe.getStepsList();
      if (steps.isEmpty()) {
        throw new ImageBuildFailure(
            "(none)", "the recipe has no steps; start with jdk(..) or debianSlim()", "");
      }
      int i = 0;
      ImageStep base = steps.get(0);
      switch (base.getStepCase()) {
        case JDK -> {
          jdk = jdks.require(base.getJdk());
          log.accept("using JDK " + jdk.feature() + " at " + jdk.home());
          Files.createDirectories(tmp.resolve("files"));
          workdir = "files";
          i = 1;
        }
        case DEBIAN_SLIM -> {
          jdk = InstalledJdks.of(List.of(Path.of(System.getProperty("java.home")))).all().get(0);
          List<String> include = new ArrayList<>();
          i = 1;
          while (i < steps.size() && steps.get(i).hasAptInstall()) {
            include.addAll(steps.get(i).getAptInstall().getValuesList());
            i++;
          }
          debianBase(include);
        }
        case REGISTRY -> {
          registryBase(base);
          i = 1;
        }
        default ->
            throw new ImageBuildFailure(
                describe(base),
                "an image starts with Image.jdk(..), Image.debianSlim() or Image.fromRegistry(..)",
                "");
      }
      for (; i < steps.size(); i++) {
        step(steps.get(i));
      }
      if (debian) {
        resolverConfiguration();
      }
      ImageManifest manifest =
          ImageManifest.newBuilder()
              .setJavaHome(jdk == null ? "" : jdk.home().toString())
              .setJavaFeature(jdk == null ? 0 : jdk.feature())
              .setRegistryImage(registry == null ? "" : registry)
              .addAllClasspath(classpath)
              .putAllEnv(env)
              .setWorkdir(workdir)
              .setDebian(debian)
              .putAllMounts(mounts)
              .build();
      Files.write(tmp.resolve(MANIFEST), manifest.toByteArray());
      // On disk before it counts as built: the tree forced, the completion marker written last.
      ImageContents.seal(tmp);
      Path target = imagesDir.resolve(id);
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
        throw new UncheckedIOException("image " + id + " appeared while it was built", e);
      }
      DurableFiles.forceDirectory(imagesDir);
      done = true;
      return new BuiltImage(id, target, manifest);
    } catch (IOException e) {
      throw new UncheckedIOException("image " + id + ": " + e.getMessage(), e);
    } finally {
      if (!done) {
        deleteTree(tmp);
      }
    }
  }

  private void step(ImageStep step) throws IOException {
    String name = describe(step);
    if (registry != null) {
      registryStep(name, step);
      return;
    }
    switch (step.getStepCase()) {
      case JDK, DEBIAN_SLIM, REGISTRY ->
          throw new ImageBuildFailure(
              name,
              "a base (jdk, debianSlim or fromRegistry) can only be the first step of an image",
              "");
      case MAVEN -> {
        log.accept("resolving " + String.join(", ", step.getMaven().getValuesList()));
        List<Path> jars = maven.resolve(name, step.getMaven().getValuesList(), log);
        Path lib = Files.createDirectories(tmp.resolve("lib"));
        for (Path jar : jars) {
          String entry = "lib/" + String.format("%03d-", classpath.size()) + jar.getFileName();
          linkOrCopy(jar, tmp.resolve(entry));
          classpath.add(entry);
        }
        log.accept("added " + jars.size() + " jars to the classpath (" + lib + ")");
      }
      case APT_INSTALL -> {
        if (!debian) {
          throw new ImageBuildFailure(
              name, "aptInstall needs a Debian image: start from Image.debianSlim()", "");
        }
        String packages = String.join(" ", step.getAptInstall().getValuesList());
        runInImage(
            name,
            "apt-get update -q && apt-get install -y -q --no-install-recommends "
                + packages
                + " && apt-get clean");
      }
      case ENV -> env.put(step.getEnv().getName(), step.getEnv().getValue());
      case ADD_LOCAL -> addLocal(name, step.getAddLocal());
      case WORKDIR -> {
        String path = step.getWorkdir();
        if (debian) {
          workdir = Path.of(workdir).resolve(path).normalize().toString();
          Files.createDirectories(inRoot(workdir));
        } else {
          if (path.startsWith("/")) {
            throw new ImageBuildFailure(
                name,
                "an absolute working directory needs a Debian image (Image.debianSlim()); a"
                    + " relative one resolves against the image's own directory",
                "");
          }
          workdir = Path.of(workdir).resolve(path).normalize().toString();
          Files.createDirectories(tmp.resolve(workdir));
        }
      }
      case RUN_COMMANDS -> {
        for (String command : step.getRunCommands().getValuesList()) {
          runInImage("runCommands(" + quote(command) + ")", command);
        }
      }
      case STEP_NOT_SET -> throw new ImageBuildFailure(name, "an empty step", "");
    }
  }

  // ------------------------------------------------------------------ registry

  /**
   * A registry image is recorded, not built: a backend that can pull it must be there (else it is
   * refused before the app runs), and only env and an absolute workdir may follow.
   */
  private void registryBase(ImageStep base) {
    String name = describe(base);
    String reference = base.getRegistry();
    if (reference.isBlank()
        || reference.length() > 512
        || reference.chars().anyMatch(Character::isWhitespace)) {
      throw new ImageBuildFailure(
          name,
          "not an image reference; allowed is [registry[:port]/]name[:tag][@sha256:digest]"
              + " without whitespace, at most 512 characters",
          "");
    }
    refuseUnrunnable(recipe, capabilities);
    registry = reference;
    workdir = "";
    log.accept(
        "recorded the registry image " + reference + " (not built: its containers run on it)");
  }

  /**
   * Refuses a registry image where the container backend cannot run one: before it is recorded, and
   * when it is found recorded (by another server sharing the build cache).
   */
  static void refuseUnrunnable(ImageRecipe recipe, Capabilities capabilities) {
    if (recipe.getStepsCount() == 0 || !recipe.getSteps(0).hasRegistry()) {
      return;
    }
    Optional<String> cannot = capabilities.whyNot(Capability.REGISTRY_IMAGE);
    if (cannot.isPresent()) {
      throw new ImageBuildFailure(
          describe(recipe.getSteps(0)),
          "image "
              + recipe.getSteps(0).getRegistry()
              + " comes from a container registry, which this server's container backend cannot"
              + " run: "
              + cannot.get(),
          "");
    }
  }

  private void registryStep(String name, ImageStep step) {
    switch (step.getStepCase()) {
      case ENV -> env.put(step.getEnv().getName(), step.getEnv().getValue());
      case WORKDIR -> {
        if (!step.getWorkdir().startsWith("/")) {
          throw new ImageBuildFailure(
              name, "the working directory of a registry image must be an absolute path", "");
        }
        workdir = Path.of(step.getWorkdir()).normalize().toString();
      }
      default ->
          throw new ImageBuildFailure(
              name,
              "Skiff does not build on top of a registry image (fromRegistry(\""
                  + registry
                  + "\")): only env and workdir may follow it; bake this step into the image",
              "");
    }
  }

  // ------------------------------------------------------------------ Debian

  private void debianBase(List<String> include) throws IOException {
    debian = true;
    workdir = "/root";
    String name =
        "debianSlim()" + (include.isEmpty() ? "" : ".aptInstall(" + quoteAll(include) + ")");
    Optional<String> noRootFs = capabilities.whyNot(Capability.ROOT_FS);
    if (noRootFs.isPresent()) {
      throw new ImageBuildFailure(
          name,
          "the containers of a Debian image run in the container sandbox, which is not available: "
              + noRootFs.get(),
          "");
    }
    requireTool(name, "mmdebstrap");
    requireTool(name, "bwrap");
    List<String> command = new ArrayList<>(List.of("mmdebstrap", "--variant=minbase"));
    if (!include.isEmpty()) {
      command.add("--include=" + String.join(",", include));
    }
    command.add(SUITE);
    command.add(tmp.resolve("rootfs").toString());
    log.accept("$ " + String.join(" ", command));
    exec(name, new ProcessBuilder(command), "mmdebstrap");
    Files.createDirectories(inRoot(workdir));
  }

  /**
   * Gives the root the node's name resolution ({@code /etc/resolv.conf}, which mmdebstrap leaves
   * out), so that functions in it can reach hosts by name.
   */
  private void resolverConfiguration() throws IOException {
    Path host = Path.of("/etc/resolv.conf");
    Path inRoot = inRoot("/etc/resolv.conf");
    if (Files.isReadable(host) && !Files.isSymbolicLink(inRoot)) {
      Files.copy(host, inRoot, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static void requireTool(String step, String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", DEBIAN_PATH).split(":", -1)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        return;
      }
    }
    throw new ImageBuildFailure(
        step,
        "Debian images need "
            + tool
            + " on the control plane's node; install it (apt-get install"
            + " -y mmdebstrap bubblewrap)",
        "");
  }

  private Path inRoot(String absolute) {
    return tmp.resolve("rootfs").resolve(absolute.substring(1));
  }

  // ------------------------------------------------------------------ files

  private void addLocal(String name, AddLocalStep add) throws IOException {
    String target = add.getTarget();
    if (!add.getDirectory() && target.endsWith("/")) {
      target = target + Path.of(add.getSource()).getFileName(); // a file into that directory
    }
    Path destination;
    if (debian) {
      destination = inRoot(Path.of(workdir).resolve(target).normalize().toString());
    } else if (target.startsWith("/")) {
      Optional<String> noSandbox = capabilities.whyNot(Capability.SANDBOX);
      if (noSandbox.isPresent()) {
        throw new ImageBuildFailure(
            name,
            "an absolute target needs the container sandbox ("
                + noSandbox.get()
                + ") or a Debian image (Image.debianSlim()); without them a JDK image takes"
                + " relative targets, which resolve against its working directory",
            "");
      }
      // Kept under abs/ and bound read-only at the target in each (sandboxed) container.
      String inside = Path.of(target).normalize().toString();
      if (inside.equals("/") || mounts.containsKey(inside)) {
        throw new ImageBuildFailure(
            name, "the absolute target '" + inside + "' is the root or already taken", "");
      }
      destination = tmp.resolve("abs").resolve(inside.substring(1));
      mounts.put(inside, tmp.relativize(destination).toString());
    } else {
      destination = tmp.resolve(workdir).resolve(target).normalize();
    }
    if (add.getDirectory()) {
      Files.createDirectories(destination);
    }
    for (ImageFile f : add.getFilesList()) {
      Path file =
          f.getPath().isEmpty() ? destination : destination.resolve(f.getPath()).normalize();
      if (!file.startsWith(destination)) {
        throw new ImageBuildFailure(
            name, "file path '" + f.getPath() + "' leaves its directory", "");
      }
      Files.createDirectories(file.getParent());
      Files.write(file, f.getContent().toByteArray());
      Files.setPosixFilePermissions(
          file, PosixFilePermissions.fromString(f.getExecutable() ? "rwxr-xr-x" : "rw-r--r--"));
    }
    log.accept(
        "added " + add.getSource() + " at " + target + " (" + add.getFilesCount() + " files)");
  }

  private static void linkOrCopy(Path from, Path to) throws IOException {
    try {
      Files.createLink(to, from);
    } catch (IOException | UnsupportedOperationException e) {
      Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  // ------------------------------------------------------------------ commands

  /** Runs a shell command in the image: in its root with bubblewrap, or in its file tree. */
  private void runInImage(String step, String command) throws IOException {
    log.accept("$ " + command);
    ProcessBuilder pb;
    if (debian) {
      pb =
          new ProcessBuilder(
              "bwrap",
              "--bind",
              tmp.resolve("rootfs").toString(),
              "/",
              "--dev",
              "/dev",
              "--proc",
              "/proc",
              "--perms",
              "1777",
              "--tmpfs",
              "/tmp",
              "--ro-bind",
              "/etc/resolv.conf",
              "/etc/resolv.conf",
              "--chdir",
              workdir,
              "--die-with-parent",
              "/bin/bash",
              "-c",
              command);
      Map<String, String> e = pb.environment();
      e.clear();
      e.put("PATH", DEBIAN_PATH);
      e.put("HOME", "/root");
      e.put("LANG", "C.UTF-8");
      e.put("DEBIAN_FRONTEND", "noninteractive");
      e.putAll(env);
    } else {
      pb = new ProcessBuilder("bash", "-c", command).directory(tmp.resolve(workdir).toFile());
      Map<String, String> e = pb.environment();
      e.keySet().removeIf(k -> k.startsWith("SKIFF_"));
      e.put("JAVA_HOME", jdk.home().toString());
      e.put("PATH", jdk.home().resolve("bin") + ":" + e.getOrDefault("PATH", DEBIAN_PATH));
      e.putAll(env);
    }
    exec(step, pb, "the command");
  }

  /** Runs a process to completion, streaming its output; throws naming the step if it fails. */
  private void exec(String step, ProcessBuilder pb, String what) throws IOException {
    pb.redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Process process;
    try {
      process = ProcessLauncher.start(pb);
    } catch (IOException e) {
      throw new ImageBuildFailure(
          step, "could not start " + pb.command().get(0) + ": " + e.getMessage(), "");
    }
    running.add(process);
    ArrayDeque<String> tail = new ArrayDeque<>();
    try (BufferedReader reader =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        log.accept(line);
        if (tail.size() == TAIL_LINES) {
          tail.removeFirst();
        }
        tail.addLast(line);
      }
      int status = process.waitFor();
      if (status != 0) {
        throw new ImageBuildFailure(
            step, what + " exited with status " + status, String.join("\n", tail));
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new ImageBuildFailure(step, "the build was interrupted", String.join("\n", tail));
    } finally {
      running.remove(process);
    }
  }

  // ------------------------------------------------------------------ names

  /** A step as the user wrote it, e.g. {@code runCommands("make")}. */
  static String describe(ImageStep step) {
    return switch (step.getStepCase()) {
      case JDK -> "jdk(" + step.getJdk() + ")";
      case DEBIAN_SLIM -> "debianSlim()";
      case MAVEN -> "maven(" + quoteAll(step.getMaven().getValuesList()) + ")";
      case APT_INSTALL -> "aptInstall(" + quoteAll(step.getAptInstall().getValuesList()) + ")";
      case ENV -> "env(" + quote(step.getEnv().getName()) + ", ...)";
      case ADD_LOCAL ->
          (step.getAddLocal().getDirectory() ? "addLocalDir(" : "addLocalFile(")
              + quote(step.getAddLocal().getSource())
              + ", "
              + quote(step.getAddLocal().getTarget())
              + ")";
      case WORKDIR -> "workdir(" + quote(step.getWorkdir()) + ")";
      case RUN_COMMANDS -> "runCommands(" + quoteAll(step.getRunCommands().getValuesList()) + ")";
      case REGISTRY -> "fromRegistry(" + quote(step.getRegistry()) + ")";
      case STEP_NOT_SET -> "(empty step)";
    };
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static String quoteAll(List<String> values) {
    return values.stream().map(ImageBuild::quote).collect(Collectors.joining(", "));
  }

  static void deleteTree(Path root) {
    if (root == null || !Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  // Best effort: a leftover temporary directory is never mistaken for an image.
                }
              });
    } catch (IOException | UncheckedIOException e) {
      // Best effort, as above.
    }
  }
}
