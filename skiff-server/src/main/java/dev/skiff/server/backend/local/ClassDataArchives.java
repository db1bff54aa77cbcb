package dev.skiff.server.backend.local;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * The application class-data-sharing archives that containers of a jar classpath map to start
 * faster, made so that nothing a container writes is ever trusted.
 *
 * <p>A container runs function code, which may be hostile; an archive is class data that every
 * later JVM of the classpath maps and runs, and the file the host binds into later containers. So
 * containers never write archives. The first container of a classpath only records which classes it
 * loaded ({@code -XX:DumpLoadedClassList}) into a staging directory of its own. When it exits, the
 * control plane reads that list as untrusted data (never through a symbolic link, only a regular
 * file, at most {@value #MAX_CLASS_LIST_BYTES} bytes, each line checked against the few shapes the
 * JVM writes and rewritten by the control plane; anything else is dropped) and makes the archive
 * itself: a static dump ({@code java -Xshare:dump -XX:SharedClassListFile=...}), which loads and
 * links the listed classes but initialises none of them, so no function code runs. The dump runs in
 * the {@link Sandbox} when there is one (it parses the app's jars), sees the classpath and its
 * class list read-only and writes only into an empty directory; the control plane then checks that
 * the result is a regular file with one link and renames it into place atomically. A hostile list
 * can change which of the classpath's classes are archived, never what their archived data says.
 *
 * <p>Later containers of the classpath map the archive ({@code -XX:SharedArchiveFile}), bound
 * read-only; an archive that is not a regular file (a link left by an older version, say) is never
 * mapped. Archives are named by a key that changes whenever the JVM would refuse one or its content
 * would be stale: the JDK ({@link Jdk}: this control plane's, or a JDK image's, which also dumps
 * it), and each classpath entry's path, size, modification time and SHA-256 (computed once per file
 * version). Only one container at a time records a classpath's list, and only one dump at a time
 * runs for it in a JVM: others start without an archive. A classpath that holds directories gets
 * none (the JVM cannot archive classes from directories; the backend turns them into jars first,
 * {@link DirectoryJars}), and a failure at any step only means no archive, logged at DEBUG.
 *
 * <p>The checked class list waits beside the archive-to-be ({@code skiff-KEY.classes}) until its
 * dump has ended. A dump outlives the control plane that started it and ends only with the JVM, and
 * a list left by a JVM that exited is dumped by the next control plane that plans a container of
 * its classpath. {@link #sweep} keeps the directory bounded.
 *
 * <p>Thread-safe.
 */
final class ClassDataArchives implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ClassDataArchives.class.getName());

  /** The largest class list read back from a container; a real one is a few hundred KiB. */
  static final int MAX_CLASS_LIST_BYTES = 16 << 20;

  private static final Duration DUMP_LIMIT = Duration.ofMinutes(2);
  private static final String CLASS_LIST = "classes.txt";
  private static final int DIGEST_MEMO_SIZE = 4096;

  // One segment of an internal class name, or a name token of the lines below: letters, digits,
  // '_' and '$' only, so no line can carry a path, an option or a control character.
  private static final String NAME = "[\\p{L}\\p{N}_$]+";
  private static final String CLASS = NAME + "(?:/" + NAME + ")*";
  private static final Pattern CLASS_LINE = Pattern.compile("(" + CLASS + ")(?: id: \\d{1,9})?");
  private static final Pattern CP_LINE = Pattern.compile("@cp " + CLASS + "(?: \\d{1,5})*");
  private static final Pattern LAMBDA_PROXY_TOKEN = Pattern.compile("[\\p{L}\\p{N}_$/;()\\[<>]+");
  private static final Pattern REF_KIND = Pattern.compile("REF_[a-zA-Z]+");
  private static final Pattern DOTTED_NAME = Pattern.compile("[\\p{L}\\p{N}_$.]+");

  /** The most bytes of archives kept; older unused ones are removed past it. */
  static final long CACHE_BYTES = 1L << 30;

  /** An archive mapped this recently is never removed. */
  static final Duration IN_USE = Duration.ofHours(1);

  /** An archive unused this long, or a class list waiting this long, is removed. */
  static final Duration UNUSED = Duration.ofDays(14);

  /** A JDK that containers run on and that dumps their archives: its home and feature version. */
  record Jdk(Path home, int feature) {
    Path java() {
      return home.resolve("bin").resolve("java");
    }

    /**
     * The flags that map an archive; the JVM says nothing about one it cannot use (JDK 25 moved
     * most of those messages from the {@code cds} log tags to {@code aot}).
     */
    List<String> mapFlags(Path archive) {
      List<String> flags = new ArrayList<>();
      flags.add("-XX:SharedArchiveFile=" + archive);
      flags.add("-Xlog:cds*=off");
      if (feature >= 25) {
        flags.add("-Xlog:aot*=off");
      }
      return flags;
    }
  }

  // JVM-wide, so that two control planes in one JVM never make one archive twice at once; guarded
  // by itself: the archives whose class list is being recorded or whose dump runs.
  private static final Set<Path> IN_THE_MAKING = new HashSet<>();

  // The dumps running in this JVM. A dump outlives the control plane that started it (a program
  // that ran one app closes it before its first container's dump could end); it ends with the JVM,
  // which leaves its class list to the next control plane.
  private static final Set<Process> DUMPS = ConcurrentHashMap.newKeySet();
  private static final AtomicBoolean EXITING = new AtomicBoolean();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  EXITING.set(true);
                  DUMPS.forEach(ClassDataArchives::kill);
                },
                "skiff-cds-dumps-end"));
  }

  private final Optional<Path> directory;
  private final Jdk own;
  private final Optional<Sandbox> sandbox;
  private final Map<Path, String> jdkIdentities = new ConcurrentHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final String pid = Long.toString(ProcessHandle.current().pid());

  // Guards digests: each classpath file's SHA-256, by the file version it was computed for.
  private final Object digestLock = new Object();
  private final Map<Path, FileDigest> digests =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Path, FileDigest> eldest) {
          return size() > DIGEST_MEMO_SIZE;
        }
      };

  /** A file's SHA-256, and the version of the file it was computed for. */
  private record FileDigest(String version, String sha256) {}

  /**
   * Archives kept in {@code directory} (none when empty), dumped with {@code javaExecutable}, in
   * {@code sandbox} when given.
   */
  ClassDataArchives(Path javaExecutable, Optional<Path> directory, Optional<Sandbox> sandbox) {
    this.directory = directory;
    this.own = new Jdk(javaExecutable.getParent().getParent(), Runtime.version().feature());
    this.sandbox = sandbox;
    directory.ifPresent(
        d ->
            Thread.ofVirtual()
                .name("skiff-cds-sweep")
                .start(() -> sweep(d, Instant.now(), CACHE_BYTES)));
  }

  /**
   * What a container gets of the class-data archive for a classpath run by this JVM: its JVM flags,
   * what the sandbox binds for it, and what to do after it exited or failed to start.
   */
  static final class Plan {
    /** No archive: nothing to add, nothing to do afterwards. */
    static final Plan NONE = new Plan(List.of(), List.of(), List.of(), () -> {}, () -> {});

    private final List<String> flags;
    private final List<Path> readOnly;
    private final List<Path> writable;
    private final Runnable afterExit;
    private final Runnable abandon;

    private Plan(
        List<String> flags,
        List<Path> readOnly,
        List<Path> writable,
        Runnable afterExit,
        Runnable abandon) {
      this.flags = List.copyOf(flags);
      this.readOnly = List.copyOf(readOnly);
      this.writable = List.copyOf(writable);
      this.afterExit = afterExit;
      this.abandon = abandon;
    }

    /** The JVM flags that map the archive or record the class list. */
    List<String> flags() {
      return flags;
    }

    /** Host files the sandbox binds read-only at their paths: the archive mapped. */
    List<Path> readOnly() {
      return readOnly;
    }

    /** Host directories the sandbox binds read-write at their paths: the class list's staging. */
    List<Path> writable() {
      return writable;
    }

    /** Call once the container has exited: makes the archive from what it recorded, if anything. */
    void afterExit() {
      afterExit.run();
    }

    /** Call when the container could not be started: frees what the plan held. */
    void abandon() {
      abandon.run();
    }
  }

  /** The control plane's own JDK, which runs containers that have no image. */
  Jdk own() {
    return own;
  }

  /**
   * The plan for a container of {@code classpath} on {@code jdk}: map its archive if there is one
   * (and mark it used); else make it from a class list a container of an earlier control plane
   * recorded, if one waits; else record the list.
   */
  Plan plan(Jdk jdk, List<String> classpath) {
    if (directory.isEmpty() || closed.get() || !archivable(classpath)) {
      return Plan.NONE;
    }
    Path archive;
    try {
      archive = directory.get().resolve("skiff-" + key(jdk, classpath) + ".jsa");
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "no class-data archive for {0}: {1}", classpath, e.toString());
      return Plan.NONE;
    }
    synchronized (IN_THE_MAKING) {
      if (isRegularFile(archive)) {
        markUsed(archive);
        return new Plan(jdk.mapFlags(archive), List.of(archive), List.of(), () -> {}, () -> {});
      }
      if (!IN_THE_MAKING.add(archive)) {
        return Plan.NONE; // another container records it, or its dump runs
      }
    }
    Path waiting = waitingList(archive);
    if (isRegularFile(waiting)) {
      Thread.ofVirtual().name("skiff-cds-dump").start(() -> dumpWaiting(jdk, classpath, archive));
      return Plan.NONE;
    }
    Path staging;
    try {
      staging = Files.createTempDirectory(directory.get(), "new-" + pid + "-");
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "no staging directory for a class list: {0}", e.toString());
      release(archive);
      return Plan.NONE;
    }
    Path classList = staging.resolve(CLASS_LIST);
    return new Plan(
        List.of("-XX:DumpLoadedClassList=" + classList),
        List.of(),
        List.of(staging),
        () -> make(jdk, classpath, staging, archive),
        () -> {
          CacheSweep.deleteTree(staging);
          release(archive);
        });
  }

  /**
   * After the recording container exited: checks and rewrites the class list it left in {@code
   * staging}, keeps it beside the archive-to-be (so that a JVM that exits before the dump ends
   * leaves it to the next control plane), then dumps in the background.
   */
  private void make(Jdk jdk, List<String> classpath, Path staging, Path archive) {
    try {
      Optional<List<String>> classes = readClassList(staging.resolve(CLASS_LIST));
      CacheSweep.deleteTree(staging);
      if (classes.isEmpty()) {
        release(archive);
        return;
      }
      Path waiting = waitingList(archive);
      Path partial = Files.createTempFile(directory.orElseThrow(), "list-" + pid + "-", ".tmp");
      Files.write(partial, classes.get(), StandardCharsets.UTF_8);
      Files.move(partial, waiting, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "class list for {0} not kept: {1}", archive, e.toString());
      CacheSweep.deleteTree(staging);
      release(archive);
      return;
    }
    Thread.ofVirtual().name("skiff-cds-dump").start(() -> dumpWaiting(jdk, classpath, archive));
  }

  /** The class list that waits for its archive's dump. */
  private static Path waitingList(Path archive) {
    String name = archive.getFileName().toString();
    return archive.resolveSibling(name.substring(0, name.length() - ".jsa".length()) + ".classes");
  }

  /**
   * Makes {@code archive} from the class list that waits for it. The list is removed once the dump
   * has ended, well or not, unless the JVM is exiting: then the next control plane dumps it.
   */
  private void dumpWaiting(Jdk jdk, List<String> classpath, Path archive) {
    Path waiting = waitingList(archive);
    Path work = null;
    boolean ended = false;
    try {
      // The control plane wrote it, but into a directory its user's other processes share.
      Optional<List<String>> classes = readClassList(waiting);
      if (classes.isEmpty()) {
        ended = true;
        return;
      }
      work = Files.createTempDirectory(directory.orElseThrow(), "dump-" + pid + "-");
      Path list = Files.write(work.resolve(CLASS_LIST), classes.get(), StandardCharsets.UTF_8);
      Path out = Files.createDirectory(work.resolve("out"));
      Path dumped = out.resolve(archive.getFileName());
      boolean dumpedWell = dump(jdk, classpath, list, out, dumped);
      ended = !EXITING.get();
      if (!dumpedWell) {
        return;
      }
      BasicFileAttributes attributes =
          Files.readAttributes(dumped, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      Object links = Files.getAttribute(dumped, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
      if (!attributes.isRegularFile() || attributes.size() == 0 || !links.equals(1)) {
        LOG.log(Level.DEBUG, "the class-data dump left no plain file at {0}", dumped);
        return;
      }
      Files.move(dumped, archive, StandardCopyOption.ATOMIC_MOVE);
      LOG.log(Level.DEBUG, "made class-data archive {0}", archive);
      sweep(directory.orElseThrow(), Instant.now(), CACHE_BYTES);
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "class-data archive {0} not made: {1}", archive, e.toString());
      ended = true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (ended) {
        CacheSweep.deleteTree(waiting);
      }
      if (work != null) {
        CacheSweep.deleteTree(work);
      }
      release(archive);
    }
  }

  /** Runs the static dump, in the sandbox when there is one; true when it succeeded. */
  private boolean dump(Jdk jdk, List<String> classpath, Path list, Path out, Path dumped)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(jdk.java().toString());
    command.add("-Xshare:dump");
    command.add("-XX:SharedClassListFile=" + list);
    command.add("-XX:SharedArchiveFile=" + dumped);
    if (jdk.feature() >= 24) {
      // Classes archived linked, and the lambdas and string concatenations of the list resolved:
      // a container then spins none of them at start (JEP 483).
      command.add("-XX:+AOTClassLinking");
    }
    if (jdk.feature() >= 22) {
      command.add("--enable-native-access=ALL-UNNAMED"); // as the containers that will map it
    }
    command.add("-cp");
    command.add(String.join(File.pathSeparator, classpath));
    if (sandbox.isPresent()) {
      List<Path> readOnly = new ArrayList<>();
      classpath.forEach(e -> readOnly.add(Path.of(e)));
      readOnly.add(list);
      command =
          sandbox
              .get()
              .wrap(
                  new Sandbox.Spec(
                      jdk.home(), readOnly, Optional.empty(), Map.of(), List.of(out), "/tmp"),
                  command);
    }
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    builder.environment().clear();
    builder.environment().putAll(Sandbox.environment(Map.of()));
    Process process = ProcessLauncher.start(builder);
    DUMPS.add(process);
    try {
      if (EXITING.get()) {
        kill(process);
      }
      if (!process.waitFor(DUMP_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
        kill(process);
        LOG.log(Level.DEBUG, "the class-data dump for {0} took over {1}", classpath, DUMP_LIMIT);
        return false;
      }
      if (process.exitValue() != 0) {
        LOG.log(
            Level.DEBUG,
            "the class-data dump for {0} exited with {1}",
            classpath,
            process.exitValue());
        return false;
      }
      return true;
    } finally {
      DUMPS.remove(process);
    }
  }

  /**
   * The class list a container wrote, rewritten line by line into what the control plane will give
   * the dump; empty when the file is missing, not a regular file (a link, a pipe), too large, or
   * unreadable.
   */
  static Optional<List<String>> readClassList(Path file) {
    byte[] bytes;
    try {
      BasicFileAttributes attributes =
          Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!attributes.isRegularFile() || attributes.size() > MAX_CLASS_LIST_BYTES) {
        LOG.log(
            Level.DEBUG,
            "class list {0} is not a regular file of at most {1} bytes",
            file,
            MAX_CLASS_LIST_BYTES);
        return Optional.empty();
      }
      try (SeekableByteChannel channel =
              Files.newByteChannel(
                  file, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
          InputStream in = Channels.newInputStream(channel)) {
        bytes = in.readNBytes(MAX_CLASS_LIST_BYTES + 1);
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "class list {0} not read: {1}", file, e.toString());
      return Optional.empty();
    }
    if (bytes.length > MAX_CLASS_LIST_BYTES) {
      return Optional.empty();
    }
    List<String> rewritten = classListLines(new String(bytes, StandardCharsets.UTF_8));
    return rewritten.isEmpty() ? Optional.empty() : Optional.of(rewritten);
  }

  /**
   * The lines of an untrusted class list that have one of the shapes the JVM writes, rebuilt from
   * their checked parts: a class name (its {@code id:} dropped), {@code @lambda-proxy}, {@code
   * @lambda-form-invoker} and {@code @cp} lines. Everything else (comments, classes of other class
   * loaders with their {@code source:} paths, anything unknown) is dropped.
   */
  static List<String> classListLines(String text) {
    List<String> lines = new ArrayList<>();
    for (String line : text.split("\n", -1)) {
      var klass = CLASS_LINE.matcher(line);
      if (klass.matches()) {
        lines.add(klass.group(1));
      } else if (CP_LINE.matcher(line).matches()) {
        lines.add(line);
      } else if (line.startsWith("@lambda-proxy ")) {
        String[] t = line.split(" ", -1);
        boolean ok = t.length == 10 && REF_KIND.matcher(t[5]).matches();
        for (int i = 1; ok && i < t.length; i++) {
          ok = LAMBDA_PROXY_TOKEN.matcher(t[i]).matches();
        }
        if (ok) {
          lines.add(String.join(" ", t));
        }
      } else if (line.startsWith("@lambda-form-invoker ")) {
        String[] t = line.split(" ", -1);
        boolean ok =
            (t.length == 5 && t[1].equals("[LF_RESOLVE]"))
                || (t.length == 3 && t[1].equals("[SPECIES_RESOLVE]"));
        for (int i = 2; ok && i < t.length; i++) {
          ok = DOTTED_NAME.matcher(t[i]).matches();
        }
        if (ok) {
          lines.add(String.join(" ", t));
        }
      }
    }
    return lines;
  }

  /** Whether the JVM can archive this classpath: it must name no directories. */
  static boolean archivable(List<String> classpath) {
    return !classpath.isEmpty() && classpath.stream().noneMatch(e -> Files.isDirectory(Path.of(e)));
  }

  /**
   * A name for the archive of a classpath on this JVM that changes whenever the archive would no
   * longer be accepted or would be stale: another classpath, a changed jar, another JVM.
   */
  String key(Jdk jdk, List<String> classpath) throws IOException {
    StringBuilder identity = new StringBuilder("static|").append(identity(jdk));
    for (String entry : classpath) {
      Path path = Path.of(entry);
      BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
      identity
          .append('\n')
          .append(entry)
          .append('|')
          .append(attributes.size())
          .append('|')
          .append(attributes.lastModifiedTime().toMillis())
          .append('|')
          .append(digest(path, attributes));
    }
    byte[] digest = sha256().digest(identity.toString().getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(digest, 0, 10);
  }

  /**
   * What tells a JDK from another: its home and the size and modification time of its runtime image
   * (which an update of the JDK in place replaces).
   */
  private String identity(Jdk jdk) throws IOException {
    String known = jdkIdentities.get(jdk.home());
    if (known != null) {
      return known;
    }
    Path home = jdk.home().toRealPath();
    BasicFileAttributes modules =
        Files.readAttributes(home.resolve("lib").resolve("modules"), BasicFileAttributes.class);
    String identity =
        home + "|" + jdk.feature() + "|" + modules.size() + "|" + modules.lastModifiedTime();
    jdkIdentities.put(jdk.home(), identity);
    return identity;
  }

  /**
   * The SHA-256 of a file's content, computed once per version of the file: its identity, size,
   * modification and change times (the change time moves on every write, and no user can set it).
   */
  private String digest(Path path, BasicFileAttributes attributes) throws IOException {
    String version =
        attributes.fileKey()
            + "|"
            + attributes.size()
            + "|"
            + attributes.lastModifiedTime()
            + "|"
            + Files.getAttribute(path, "unix:ctime");
    Path real = path.toAbsolutePath().normalize();
    synchronized (digestLock) {
      FileDigest known = digests.get(real);
      if (known != null && known.version().equals(version)) {
        return known.sha256();
      }
    }
    MessageDigest sha = sha256();
    try (InputStream in = Files.newInputStream(path)) {
      byte[] buffer = new byte[1 << 16];
      int n;
      while ((n = in.read(buffer)) > 0) {
        sha.update(buffer, 0, n);
      }
    }
    String hex = HexFormat.of().formatHex(sha.digest());
    synchronized (digestLock) {
      digests.put(real, new FileDigest(version, hex));
    }
    return hex;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private static boolean isRegularFile(Path path) {
    try {
      return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
          .isRegularFile();
    } catch (IOException e) {
      return false;
    }
  }

  private static void release(Path archive) {
    synchronized (IN_THE_MAKING) {
      IN_THE_MAKING.remove(archive);
    }
  }

  /** Marks an archive used now, for {@link #sweep}; a failure only makes it look older. */
  private static void markUsed(Path archive) {
    try {
      Files.setLastModifiedTime(archive, FileTime.from(Instant.now()));
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "could not mark {0} used: {1}", archive, e.toString());
    }
  }

  /**
   * Keeps the directory bounded: removes the staging and dump directories of control planes that
   * are gone (named by their process id; ones from before that naming once a day old), class lists
   * waiting for {@link #UNUSED}, and archives unused for {@link #UNUSED}, then the least recently
   * used beyond {@code capBytes} ({@link #CACHE_BYTES}), never one mapped within {@link #IN_USE}.
   */
  static void sweep(Path directory, Instant now, long capBytes) {
    CacheSweep.removeIf(
        directory,
        p -> {
          String name = p.getFileName().toString();
          if (!name.startsWith("new-") && !name.startsWith("dump-") && !name.startsWith("list-")) {
            return false;
          }
          String[] parts = name.split("-", 3);
          if (parts.length == 3 && parts[1].matches("\\d{1,10}")) {
            return ProcessHandle.of(Long.parseLong(parts[1])).isEmpty();
          }
          try {
            return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS)
                .toInstant()
                .isBefore(now.minus(Duration.ofDays(1)));
          } catch (IOException e) {
            return false;
          }
        });
    CacheSweep.removeOlderThan(directory, name -> name.endsWith(".classes"), now.minus(UNUSED));
    CacheSweep.evict(
        directory,
        name -> name.startsWith("skiff-") && name.endsWith(".jsa"),
        archive -> Files.getLastModifiedTime(archive, LinkOption.NOFOLLOW_LINKS).toInstant(),
        List::of,
        capBytes,
        now.minus(IN_USE),
        now.minus(UNUSED));
  }

  private static void kill(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  /** Later plans are {@link Plan#NONE}; dumps under way go on (see {@link #DUMPS}). */
  @Override
  public void close() {
    closed.set(true);
  }
}
