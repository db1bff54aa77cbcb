package dev.skiff.testing;

import dev.skiff.internal.ClientConfig;
import dev.skiff.internal.Connection;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;

/**
 * A long-running Skiff server ({@code dev.skiff.server.SkiffServer}) as a child JVM, for tests of
 * deployed apps, restarts and crashes. It gets its own temporary {@code SKIFF_HOME} (so the client
 * config it writes never touches the real home) and data directory, both deleted by {@link
 * #close()}, which also kills the server and every child JVM started with {@link #startJava}.
 *
 * <pre>{@code
 * try (ServerProcess server = ServerProcess.start()) {
 *   server.kill9();
 *   server.restart();
 * }
 * }</pre>
 *
 * <p>Not thread-safe: drive it from the test's thread.
 */
public final class ServerProcess implements AutoCloseable {
  private static final Pattern LISTENING =
      Pattern.compile(
          "Skiff server listening on (\\S+):(\\d+) \\(web endpoints at (https?)://[^:]+:(\\d+)");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final Path home;
  private final Path dataDir;
  private final List<String> extraArgs;
  private final boolean fullJit;
  // Options for the server's own JVM (not its containers'), after the ones every server gets.
  private final List<String> jvmOptions;
  private final List<Process> children = new ArrayList<>();
  // Added to the server's environment (after the SKIFF_ variables of this JVM are removed).
  private Map<String, String> environment = Map.of();
  // For startOnSmallDisk: the process that holds the mount namespace in which the data directory
  // is a tmpfs of a chosen size (it outlives server restarts, and the tmpfs with it); else null.
  private Process diskHolder;
  private Process server;
  private int port;
  private int webPort;
  private String webScheme = "http";

  // Appended by the thread reading the server's output, read by callers: StringBuffer's locking.
  @SuppressWarnings("JdkObsolete")
  private final StringBuffer output = new StringBuffer();

  private boolean installed;

  private ServerProcess(
      Path home, List<String> extraArgs, boolean fullJit, List<String> jvmOptions) {
    this.home = home;
    this.dataDir = home.resolve("data");
    this.extraArgs = List.copyOf(extraArgs);
    this.fullJit = fullJit;
    this.jvmOptions = List.copyOf(jvmOptions);
  }

  /**
   * Starts a server on a free loopback port and waits until it listens. Its JVM has the C1 compiler
   * alone: a test's server lives for seconds, and starts on about half the CPU that way.
   */
  public static ServerProcess start(String... extraArgs) {
    return start(false, List.of(), extraArgs);
  }

  /**
   * As {@link #start(String...)}, with {@code jvmOptions} added to the server's own JVM (not its
   * containers': those take {@code --container-jvm-options}), after the options every test server
   * gets, so that they win; e.g. {@code List.of("-Xmx192m")} to bound its heap. They hold across
   * {@link #restart()}.
   */
  public static ServerProcess startWithJvmOptions(List<String> jvmOptions, String... extraArgs) {
    return start(false, jvmOptions, extraArgs);
  }

  /**
   * As {@link #start(String...)}, but the server's JVM and its containers' have both compilers, as
   * outside tests, for measurements.
   */
  public static ServerProcess startWithFullJit(String... extraArgs) {
    return start(true, List.of(), extraArgs);
  }

  /**
   * As {@link #start(String...)}, but with the data directory on a small filesystem of its own (a
   * tmpfs of {@code bytes}, in a user and mount namespace that only the server enters, via {@code
   * unshare} and {@code nsenter}), which {@link #resizeDisk} can shrink until it is full and grow
   * again. The filesystem survives {@link #kill9()} and {@link #restart()}; {@link #close()} ends
   * it.
   */
  public static ServerProcess startOnSmallDisk(long bytes, String... extraArgs) {
    return startIn(
        p -> {
          p.diskHolder =
              new ProcessBuilder("unshare", "-Urm", "--propagation", "private", "sleep", "infinity")
                  .redirectErrorStream(true)
                  .start();
          p.inDiskNamespace(
              "mount",
              "-t",
              "tmpfs",
              "-o",
              "size=" + bytes + ",mode=0700",
              "tmpfs",
              p.dataDir.toString());
          p.launch(0, 0);
        },
        extraArgs);
  }

  /** Sets the size of the data directory's filesystem ({@link #startOnSmallDisk} only). */
  public void resizeDisk(long bytes) {
    inDiskNamespace("mount", "-o", "remount,size=" + bytes, dataDir.toString());
  }

  /**
   * The data directory as this JVM reaches it ({@code /proc/PID/root/...} of the namespace's
   * holder), to fill or read its filesystem ({@link #startOnSmallDisk} only).
   */
  public Path dataDirOnDisk() {
    if (diskHolder == null) {
      throw new IllegalStateException("the server was not started on a small disk");
    }
    return Path.of("/proc/" + diskHolder.pid() + "/root" + dataDir);
  }

  private List<String> diskPrefix() {
    return List.of(
        "nsenter",
        "-t",
        Long.toString(diskHolder.pid()),
        "-U",
        "-m",
        "--preserve-credentials",
        "--");
  }

  private void inDiskNamespace(String... command) {
    List<String> all = new ArrayList<>(diskPrefix());
    all.addAll(List.of(command));
    // The holder needs a moment to be in its namespaces: retry briefly while nsenter cannot enter.
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        Process p = new ProcessBuilder(all).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() == 0) {
          return;
        }
        if (System.nanoTime() > end) {
          throw new IllegalStateException(String.join(" ", all) + " failed: " + out);
        }
        Thread.sleep(50);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  /**
   * As {@link #start(String...)}, after {@code prepare} was given the data directory (created,
   * empty) to set up before the server first starts, e.g. a volumes directory shared with other
   * servers.
   */
  public static ServerProcess startPrepared(Consumer<Path> prepare, String... extraArgs) {
    return startIn(
        p -> {
          prepare.accept(p.dataDir);
          p.launch(0, 0);
        },
        extraArgs);
  }

  /**
   * As {@link #start(String...)}, with {@code environment} added to the server's environment (it
   * holds across {@link #restart()}), e.g. the settings of a container backend.
   */
  public static ServerProcess startWithEnvironment(
      Map<String, String> environment, String... extraArgs) {
    return startIn(
        p -> {
          p.environment = Map.copyOf(environment);
          p.launch(0, 0);
        },
        extraArgs);
  }

  /** A server in a new temporary home whose data directory {@code start} prepares and launches. */
  private static ServerProcess startIn(StartStep start, String... extraArgs) {
    Path home;
    try {
      home = Files.createTempDirectory("skiff-server-test-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ServerProcess p = new ServerProcess(home, List.of(extraArgs), false, List.of());
    try {
      Files.createDirectories(p.dataDir);
      start.run(p);
    } catch (IOException | RuntimeException e) {
      p.close();
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
    return p;
  }

  private interface StartStep {
    void run(ServerProcess p) throws IOException;
  }

  private static ServerProcess start(
      boolean fullJit, List<String> jvmOptions, String... extraArgs) {
    Path home;
    try {
      home = Files.createTempDirectory("skiff-server-test-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ServerProcess p = new ServerProcess(home, List.of(extraArgs), fullJit, jvmOptions);
    try {
      p.launch(0, 0);
    } catch (RuntimeException e) {
      p.close();
      throw e;
    }
    return p;
  }

  private void launch(int onPort, int onWebPort) {
    List<String> command = serverJavaCommand();
    if (fullJit) {
      command.removeAll(SkiffExtension.QUICK_START_JVM_OPTIONS);
    }
    command.addAll(command.indexOf("-cp"), jvmOptions);
    command.add("dev.skiff.server.SkiffServer");
    command.addAll(
        List.of(
            "--data-dir",
            dataDir.toString(),
            "--port",
            Integer.toString(onPort),
            "--web-port",
            Integer.toString(onWebPort)));
    if (!fullJit) {
      command.add("--container-jvm-options");
      command.add(String.join(" ", SkiffExtension.QUICK_START_JVM_OPTIONS));
    }
    command.addAll(extraArgs);
    if (diskHolder != null) {
      command.addAll(0, diskPrefix()); // nsenter execs the JVM: the server's pid is the JVM's
    }
    ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
    scrub(b.environment());
    b.environment().put("SKIFF_HOME", home.toString());
    b.environment().putAll(environment);
    try {
      server = b.start();
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the Skiff server", e);
    }
    CompletableFuture<String[]> listening = new CompletableFuture<>();
    Process started = server;
    Thread.ofVirtual()
        .start(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(started.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  output.append(line).append('\n');
                  Matcher m = LISTENING.matcher(line);
                  if (m.find()) {
                    listening.complete(new String[] {m.group(2), m.group(3), m.group(4)});
                  }
                }
              } catch (IOException e) {
                // The process ended.
              }
              listening.completeExceptionally(
                  new IllegalStateException(
                      "the Skiff server exited before listening:\n" + output));
            });
    try {
      String[] found = listening.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      port = Integer.parseInt(found[0]);
      webScheme = found[1];
      webPort = Integer.parseInt(found[2]);
    } catch (TimeoutException e) {
      server.destroyForcibly();
      throw new IllegalStateException(
          "the Skiff server did not listen within " + START_TIMEOUT + ":\n" + output);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    }
  }

  /**
   * Makes every later {@code app.run()}, {@code app.deploy()}, lookup and {@code
   * FunctionCall.fromId} in this JVM use this server, with the token from its client config, until
   * {@link #close()}.
   */
  public void useInThisJvm() {
    ClientConfig config = clientConfig();
    Connection.installDefault(config.server(), config.token(), config.trust());
    installed = true;
  }

  /** The client config the server wrote: its address, token and certificate. */
  public ClientConfig clientConfig() {
    return ClientConfig.read(home.resolve("config.json"))
        .orElseThrow(() -> new IllegalStateException("the server wrote no client config"));
  }

  /**
   * A TLS context that trusts exactly the server's certificate (as its client config pins it), for
   * HTTPS requests to its web endpoints.
   *
   * @throws IllegalStateException if the server runs without TLS
   */
  public SSLContext sslContext() {
    return clientConfig().trust().sslContext();
  }

  /** The server's API port. */
  public int port() {
    return port;
  }

  /** {@code 127.0.0.1:PORT}. */
  public String target() {
    return "127.0.0.1:" + port;
  }

  /** The web gateway's base URL, {@code https://127.0.0.1:PORT} ({@code http} without TLS). */
  public String webBaseUrl() {
    return webScheme + "://127.0.0.1:" + webPort;
  }

  /** The temporary {@code SKIFF_HOME} (its {@code config.json} is the client config). */
  public Path home() {
    return home;
  }

  /** The server's data directory. */
  public Path dataDir() {
    return dataDir;
  }

  /** The server's process id. */
  public long pid() {
    return server.pid();
  }

  /** What the server printed so far (stdout and stderr). */
  public String output() {
    return output.toString();
  }

  /**
   * The most resident memory the server's process has had (its {@code VmHWM}), in KiB; empty once
   * it has exited.
   */
  public OptionalLong peakRssKib() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid() + "/status"))) {
        if (line.startsWith("VmHWM:")) {
          return OptionalLong.of(Long.parseLong(line.replaceAll("\\D", "")));
        }
      }
    } catch (IOException e) {
      // The process has exited.
    }
    return OptionalLong.empty();
  }

  /** Kills the server with SIGKILL and waits for it to be gone. */
  public void kill9() {
    server.destroyForcibly();
    waitFor(server);
  }

  /** Pauses the server with SIGSTOP (its containers go on); {@link #resume()} continues it. */
  public void pause() {
    signal("STOP");
  }

  /** Continues a server paused by {@link #pause()} (SIGCONT). */
  public void resume() {
    signal("CONT");
  }

  private void signal(String name) {
    try {
      Process kill =
          new ProcessBuilder("kill", "-" + name, Long.toString(server.pid()))
              .redirectErrorStream(true)
              .start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + name + " " + server.pid() + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Stops the server with SIGTERM (a clean shutdown) and waits for it to exit. */
  public int stop() {
    server.destroy();
    return waitFor(server);
  }

  /** Starts the server again on the same ports and data directory. */
  public void restart() {
    if (server.isAlive()) {
      throw new IllegalStateException("the server still runs; kill9() or stop() it first");
    }
    launch(port, webPort);
  }

  /**
   * Starts a child JVM with this test's classpath running {@code mainClass}, with {@code
   * SKIFF_HOME} set to this server's home (so it finds the server through the client config). It is
   * killed by {@link #close()} if still running.
   */
  public Process startJava(Path log, String mainClass, String... args) {
    return startJava(log, Map.of(), mainClass, args);
  }

  /**
   * As {@link #startJava(Path, String, String...)}, with {@code env} added to its environment (e.g.
   * {@code SKIFF_SERVER} listing several replicas).
   */
  public Process startJava(Path log, Map<String, String> env, String mainClass, String... args) {
    List<String> command = new ArrayList<>(javaCommand());
    command.add(mainClass);
    command.addAll(List.of(args));
    ProcessBuilder b =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    scrub(b.environment());
    b.environment().put("SKIFF_HOME", home.toString());
    b.environment().putAll(env);
    try {
      Process p = b.start();
      children.add(p);
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start " + mainClass, e);
    }
  }

  /**
   * Runs {@link #startJava} to its end (at most {@code limit}) and returns its output.
   *
   * @throws IllegalStateException if it fails or runs too long
   */
  public String runJava(Duration limit, String mainClass, String... args) {
    return runJava(limit, Map.of(), mainClass, args);
  }

  /** As {@link #runJava(Duration, String, String...)}, with {@code env} added. */
  public String runJava(Duration limit, Map<String, String> env, String mainClass, String... args) {
    try {
      Path log = Files.createTempFile(home, "java-", ".log");
      Process p = startJava(log, env, mainClass, args);
      if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(
            mainClass + " ran longer than " + limit + ":\n" + Files.readString(log));
      }
      String out = Files.readString(log);
      if (p.exitValue() != 0) {
        throw new IllegalStateException(mainClass + " exited with " + p.exitValue() + ":\n" + out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static List<String> javaCommand() {
    List<String> command = baseJavaCommand();
    command.addAll(List.of("-Xshare:auto", "-cp", System.getProperty("java.class.path")));
    return command;
  }

  /** The server's JVM: with the {@link ServerAotCache} where there is one, else as others. */
  private static List<String> serverJavaCommand() {
    List<String> command = baseJavaCommand();
    Optional<ServerAotCache> cache = ServerAotCache.get(command);
    if (cache.isEmpty()) {
      return javaCommand();
    }
    command.addAll(
        List.of(
            "-XX:AOTCache=" + cache.get().file,
            // A cache this JVM cannot use (other options) is skipped; the server's output says
            // nothing of it.
            "-Xlog:aot=off,cds=off",
            "-cp",
            cache.get().classpath));
    return command;
  }

  private static List<String> baseJavaCommand() {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>(List.of(java, "-XX:+UseSerialGC"));
    command.addAll(SkiffExtension.QUICK_START_JVM_OPTIONS);
    return command;
  }

  private static void scrub(Map<String, String> env) {
    env.keySet().removeIf(k -> k.startsWith("SKIFF_"));
  }

  private static int waitFor(Process p) {
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
      return p.isAlive() ? -1 : p.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /**
   * Kills the server and every child JVM still running (with their descendants, e.g. containers),
   * and deletes the temporary home and data directory.
   */
  @Override
  public void close() {
    if (installed) {
      Connection.clearDefault();
    }
    List<Process> all = new ArrayList<>(children);
    if (server != null) {
      all.add(server);
    }
    for (Process p : all) {
      List<ProcessHandle> descendants = p.descendants().toList();
      p.destroyForcibly();
      descendants.forEach(ProcessHandle::destroyForcibly);
      waitFor(p);
      descendants.forEach(
          d -> {
            try {
              d.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
              // Best effort: it was sent SIGKILL.
            }
          });
    }
    if (diskHolder != null) {
      diskHolder.destroyForcibly(); // the last process in the namespace: the tmpfs goes with it
      waitFor(diskHolder);
    }
    try (Stream<Path> walk = Files.walk(home)) {
      walk.sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  // Left for the OS's temporary cleanup.
                }
              });
    } catch (IOException e) {
      // Nothing more to delete.
    }
  }
}
