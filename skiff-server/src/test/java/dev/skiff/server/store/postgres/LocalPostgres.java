package dev.skiff.server.store.postgres;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A real PostgreSQL server for tests: one per test JVM, started on first use from the machine's
 * PostgreSQL binaries (Debian's {@code postgresql} package, which {@code bin/test} installs) in a
 * temporary directory, listening on a free loopback port, and stopped (by its pid) and deleted when
 * the JVM's tests are done.
 *
 * <p>{@link Extension} hands it to a test's constructor or methods; {@link #newDatabase()} gives
 * each test an empty database of its own.
 *
 * <p>PostgreSQL refuses to run as root. Run as root (as CI does), the server runs as {@code nobody}
 * through {@code setpriv}, which execs rather than forks, so the pid the test JVM holds is the
 * server's own; its directory is given to {@code nobody}. The server's user is {@value #USER} with
 * password authentication, so that the store's credentials are exercised for real.
 */
public final class LocalPostgres implements AutoCloseable {
  /** The server's user, which owns every database. */
  public static final String USER = "skiff";

  /** The password of {@link #USER}. */
  public static final String PASSWORD = "test-password";

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(LocalPostgres.class);

  private final Path dir;
  private final Process server;
  private final int port;
  private final AtomicInteger databases = new AtomicInteger();

  private LocalPostgres(Path dir, Process server, int port) {
    this.dir = dir;
    this.server = server;
    this.port = port;
  }

  /** The extension that hands the JVM's {@link LocalPostgres} to constructors and methods. */
  public static final class Extension implements ParameterResolver {
    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
      return parameter.getParameter().getType() == LocalPostgres.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
      // In the root context's store: started once for the JVM, closed when its tests are done.
      return context
          .getRoot()
          .getStore(NAMESPACE)
          .getOrComputeIfAbsent(LocalPostgres.class, k -> start(false), LocalPostgres.class);
    }
  }

  /** The loopback port it listens on. */
  public int port() {
    return port;
  }

  /** A JDBC URL of the server's {@code postgres} database, without credentials. */
  public String adminUrl() {
    return url("postgres");
  }

  /** Creates an empty database and returns its JDBC URL, without credentials. */
  public String newDatabase() {
    String name = "test_" + databases.incrementAndGet();
    try (Connection c = DriverManager.getConnection(adminUrl(), USER, PASSWORD);
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("could not create database " + name, e);
    }
    return url(name);
  }

  private String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  /**
   * Starts one outside JUnit (the bench does), which the caller closes. With {@code fsync} false,
   * as for tests, commits skip the disk flushes; with it true, a commit is on disk when it returns,
   * as in production (PostgreSQL's default), for measurements that compare durable stores. A
   * shutdown hook also stops it.
   *
   * @throws IllegalStateException if there are no PostgreSQL binaries, or it did not start
   */
  public static LocalPostgres start(boolean fsync) {
    Path bin = binaries();
    Path dir;
    try {
      dir = Files.createTempDirectory("skiff-postgres");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      boolean root = "root".equals(System.getProperty("user.name"));
      if (root) {
        giveToNobody(dir);
      }
      Path passwordFile = dir.resolve("password");
      Files.writeString(passwordFile, PASSWORD + "\n", StandardCharsets.UTF_8);
      run(
          root,
          dir,
          List.of(
              bin.resolve("initdb").toString(),
              "-D",
              dir.resolve("data").toString(),
              "-U",
              USER,
              "--pwfile=" + passwordFile,
              "--auth=scram-sha-256",
              "--encoding=UTF8",
              "--locale=C",
              "--no-sync"));
      int port = freePort();
      Process server =
          command(
                  root,
                  List.of(
                      bin.resolve("postgres").toString(),
                      "-D",
                      dir.resolve("data").toString(),
                      "-p",
                      Integer.toString(port),
                      "-c",
                      "listen_addresses=127.0.0.1",
                      "-c",
                      "unix_socket_directories=" + dir,
                      // Tests never crash the machine: they may skip the disk flushes.
                      "-c",
                      "fsync=" + (fsync ? "on" : "off"),
                      "-c",
                      "max_connections=200"))
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("server.log").toFile())
              .start();
      LocalPostgres pg = new LocalPostgres(dir, server, port);
      Runtime.getRuntime().addShutdownHook(new Thread(pg::close, "local-postgres-stop"));
      try {
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(50))
            .ignoreExceptions()
            .until(
                () -> {
                  if (!server.isAlive()) {
                    throw new IllegalStateException("exited");
                  }
                  try (Connection c = DriverManager.getConnection(pg.adminUrl(), USER, PASSWORD)) {
                    return c.isValid(1);
                  }
                });
      } catch (RuntimeException e) {
        String log = Files.readString(dir.resolve("server.log"));
        pg.close();
        throw new IllegalStateException(
            "PostgreSQL did not start on port " + port + ":\n" + log, e);
      }
      return pg;
    } catch (IOException e) {
      delete(dir);
      throw new UncheckedIOException(e);
    }
  }

  /** Stops the server (a fast shutdown, then a kill if it lingers) and deletes its directory. */
  @Override
  public synchronized void close() {
    if (server == null || !Files.exists(dir)) {
      return;
    }
    try {
      if (server.isAlive()) {
        // SIGINT: a fast shutdown, which ends the sessions still open.
        new ProcessBuilder("kill", "-INT", Long.toString(server.pid())).start().waitFor();
        if (!server.waitFor(20, TimeUnit.SECONDS)) {
          server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
    } catch (IOException e) {
      server.destroyForcibly();
    } catch (InterruptedException e) {
      server.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    delete(dir);
  }

  /**
   * The directory of {@code initdb} and {@code postgres}: $SKIFF_TEST_POSTGRES_BIN, else where the
   * {@code initdb} on the PATH really lives, else Debian's newest /usr/lib/postgresql/N/bin.
   */
  private static Path binaries() {
    List<Path> candidates = new ArrayList<>();
    Optional.ofNullable(System.getenv("SKIFF_TEST_POSTGRES_BIN"))
        .map(Path::of)
        .ifPresent(candidates::add);
    for (String entry : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path initdb = Path.of(entry.isEmpty() ? "." : entry, "initdb");
      if (Files.isExecutable(initdb)) {
        try {
          candidates.add(initdb.toRealPath().getParent());
        } catch (IOException e) {
          // A dangling link: not a candidate.
        }
      }
    }
    Path debian = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(debian)) {
      try (Stream<Path> versions = Files.list(debian)) {
        versions
            .sorted(
                Comparator.comparingInt((Path v) -> versionNumber(v.getFileName().toString()))
                    .reversed())
            .map(v -> v.resolve("bin"))
            .forEach(candidates::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return candidates.stream()
        .filter(
            b ->
                Files.isExecutable(b.resolve("initdb"))
                    && Files.isExecutable(b.resolve("postgres")))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "no PostgreSQL server binaries (initdb and postgres) found on the PATH, in"
                        + " /usr/lib/postgresql/N/bin or in $SKIFF_TEST_POSTGRES_BIN; the tests of"
                        + " the PostgreSQL store need them: bin/test installs Debian's postgresql"
                        + " package, or run: apt-get install postgresql"));
  }

  private static int versionNumber(String name) {
    try {
      return Integer.parseInt(name);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static void giveToNobody(Path dir) throws IOException {
    UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
    UserPrincipal nobody = users.lookupPrincipalByName("nobody");
    GroupPrincipal group = users.lookupPrincipalByGroupName("nogroup");
    PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class);
    view.setOwner(nobody);
    view.setGroup(group);
  }

  private static ProcessBuilder command(boolean root, List<String> command) {
    List<String> full = new ArrayList<>();
    if (root) {
      full.addAll(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"));
    }
    full.addAll(command);
    return new ProcessBuilder(full);
  }

  private static void run(boolean root, Path dir, List<String> command) throws IOException {
    Path log = dir.resolve("initdb.log");
    Process p =
        command(root, command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException(
            String.join(" ", command) + " failed:\n" + Files.readString(log));
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void delete(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // Already gone, or a file that vanished meanwhile: nothing to keep.
    }
  }
}
