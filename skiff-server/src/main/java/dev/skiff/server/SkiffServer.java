package dev.skiff.server;

import dev.skiff.internal.ClientConfig;
import dev.skiff.internal.DurableFiles;
import dev.skiff.internal.spi.EmbeddedConfig;
import dev.skiff.server.backend.BackendConfig;
import dev.skiff.server.backend.ContainerBackend;
import dev.skiff.server.backend.ContainerBackendProvider;
import dev.skiff.server.cluster.Ownership;
import dev.skiff.server.common.RandomIds;
import dev.skiff.server.deploy.JarStore;
import dev.skiff.server.files.VolumeStore;
import dev.skiff.server.image.ImageStore;
import dev.skiff.server.runtime.AppLeases;
import dev.skiff.server.runtime.ControlPlaneConfig;
import dev.skiff.server.store.Store;
import dev.skiff.server.store.postgres.PostgresStore;
import dev.skiff.server.store.sqlite.SqliteStore;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The long-running Skiff server: the control plane as a process of its own, with a store in its
 * data directory, so that deployed apps, their schedules and web endpoints, and spawned calls
 * outlive the programs that made them and a restart of the server.
 *
 * <pre>
 * java -cp ... dev.skiff.server.SkiffServer [--data-dir DIR] [--host HOST] [--port N]
 *                                          [--web-port N] [--container-port N]
 *                                          [--result-retention 7d]
 *                                          [--tls-cert FILE --tls-key FILE | --plaintext]
 *                                          [--backend NAME] [--max-warm-containers N]
 *                                          [--app-lease 30s]
 *                                          [--max-message-mib N] [--max-blob-mib N]
 *                                          [--blob-quota-mib N] [--container-memory-mib N]
 *                                          [--container-pids N] [--log-rate N]
 *                                          [--web-max-buffered-mib N] [--web-max-connections N]
 *                                          [--web-idle-timeout 30s] [--web-read-timeout 30s]
 * </pre>
 *
 * <p>On first start it creates an API token (kept in the store) and, on every start, writes the
 * client configuration {@code $SKIFF_HOME/config.json} (default {@code ~/.skiff/config.json}, mode
 * 0600) that the SDK and the CLI read. It runs until SIGTERM or SIGINT; then it stops its
 * containers and exits. It holds its data directory for itself ({@link DataDirectoryLock}): a
 * second server on the same directory refuses to start, naming the first.
 *
 * <p>Its API port and its web gateway use TLS: with the operator's certificate ({@code --tls-cert},
 * {@code --tls-key}), or else with one it generates on first start and keeps in {@code DATA/tls}.
 * The client config pins that certificate, so clients send their token to this server only. {@code
 * --plaintext} turns TLS off, and is refused unless the host is loopback.
 */
public final class SkiffServer implements AutoCloseable {
  /** The port the server listens on unless told otherwise. */
  public static final int DEFAULT_PORT = 7733;

  private static final Pattern RETENTION = Pattern.compile("(\\d+)([dhms])");
  private static final String JETTY_REFERENCES_PER_CACHE_LINE =
      "org.eclipse.jetty.util.referencesPerCacheLine";

  /**
   * The server's settings.
   *
   * @param dataDir where the store, stored jars and volumes live
   * @param host the address to bind (loopback unless told)
   * @param port the port (0: any free one)
   * @param webPort the port of the web gateway (0: any free one)
   * @param retention how long results of spawned calls are kept
   * @param configFile where the client configuration is written
   * @param allowUnsandboxed whether containers may run as plain processes where bubblewrap does not
   *     work (without it, such a server refuses to start)
   * @param containerJvmOptions options added to every container's JVM command line
   * @param backend the name of the container backend
   * @param maxWarmContainers the most warm-pool containers kept in all (0: no warm pool)
   * @param appLease how long an ephemeral app lives without its client renewing its lease ({@link
   *     AppLeases#MIN_LENGTH}..{@link AppLeases#MAX_LENGTH})
   * @param limits the bounds on messages, blobs and containers
   * @param database the PostgreSQL database to keep the store in; empty: the SQLite file {@code
   *     DIR/skiff.db}
   * @param containerPort the port of the TCP listener for containers on other machines (pods of the
   *     Kubernetes backend), on {@code host}, with the API's TLS; 0: none (containers use the Unix
   *     socket only)
   * @param metricsTokenFile a file whose first line is the bearer token that the web gateway's
   *     {@code /metrics} requires; empty: {@code /metrics} is open to whoever reaches the web port
   *     (it names apps and functions and counts their work; it holds no secret)
   */
  public record Options(
      Path dataDir,
      String host,
      int port,
      int webPort,
      Duration retention,
      Path configFile,
      Transport transport,
      boolean allowUnsandboxed,
      List<String> containerJvmOptions,
      String backend,
      int maxWarmContainers,
      Duration appLease,
      ServerLimits limits,
      Optional<Database> database,
      int containerPort,
      Optional<Path> metricsTokenFile) {
    /** Checks the container JVM options, the warm-pool cap, the lease and the container port. */
    public Options {
      containerJvmOptions = EmbeddedConfig.checkContainerJvmOptions(containerJvmOptions);
      SkiffServer.port("--container-port", Integer.toString(containerPort));
      SkiffServer.maxWarmContainers(Integer.toString(maxWarmContainers));
      checkAppLease(appLease, appLease.toString());
      Objects.requireNonNull(limits, "limits");
      Objects.requireNonNull(database, "database");
      Objects.requireNonNull(metricsTokenFile, "metricsTokenFile");
    }

    /**
     * Options with a generated certificate, running containers only in the sandbox of the {@value
     * ContainerBackendProvider#DEFAULT} backend, and the defaults of the warm pool, the lease of
     * ephemeral apps and the limits ({@link ServerLimits#defaults()}), no PostgreSQL database and
     * no TCP listener for containers, and an open {@code /metrics}.
     */
    public Options(
        Path dataDir, String host, int port, int webPort, Duration retention, Path configFile) {
      this(
          dataDir,
          host,
          port,
          webPort,
          retention,
          configFile,
          new Transport.GeneratedCertificate(),
          false,
          List.of(),
          ContainerBackendProvider.DEFAULT,
          ControlPlaneConfig.DEFAULT_MAX_WARM_CONTAINERS,
          AppLeases.DEFAULT_LENGTH,
          ServerLimits.defaults(),
          Optional.empty(),
          0,
          Optional.empty());
    }

    /**
     * The defaults: {@link EmbeddedConfig#defaultDataDir()}, 127.0.0.1:7733, web endpoints on 7734,
     * 7 days, TLS with a generated certificate.
     */
    public static Options defaults() {
      return new Options(
          EmbeddedConfig.defaultDataDir(),
          "127.0.0.1",
          DEFAULT_PORT,
          DEFAULT_PORT + 1,
          Duration.ofDays(7),
          ClientConfig.defaultFile());
    }
  }

  /**
   * A PostgreSQL database for the store, shared by every server given it. Its user comes from
   * {@value #DATABASE_USER_VARIABLE} (else the URL's {@code user=}, else the driver's default), its
   * password from {@code passwordFile} (the file's first line) or else {@value
   * #DATABASE_PASSWORD_VARIABLE}: never from the command line, which every user of the machine can
   * read.
   *
   * <p>Every server on one database is a <em>replica</em>: each owns some of the deployed apps
   * through a lease of {@code lease}, renews it, and takes over the apps of a replica that stops
   * renewing (see docs/scale-out.md).
   *
   * @param url a PostgreSQL JDBC URL without a password ({@link PostgresStore#checkUrl})
   * @param passwordFile where the password is; empty: {@value #DATABASE_PASSWORD_VARIABLE}
   * @param replicaId this replica's id among those on the database; empty: a random one
   * @param lease how long an app stays with a replica that stopped renewing its lease
   * @param advertise where clients and the other replicas reach this one ({@code host:port});
   *     empty: the address it listens on
   */
  public record Database(
      String url,
      Optional<Path> passwordFile,
      Optional<String> replicaId,
      Duration lease,
      Optional<String> advertise) {
    /** A replica id: letters, digits, '-', '_' and '.', at most 64. */
    private static final Pattern REPLICA_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    /** Checks the URL, the replica id, the lease and the advertised address. */
    public Database {
      PostgresStore.checkUrl(url);
      Objects.requireNonNull(passwordFile, "passwordFile");
      replicaId.ifPresent(
          id -> {
            if (!REPLICA_ID.matcher(id).matches()) {
              throw new IllegalArgumentException(
                  "--replica-id '"
                      + id
                      + "' is not allowed: use 1 to 64 letters, digits, '.', '-' or '_'");
            }
          });
      if (lease.compareTo(Ownership.MIN_LEASE) < 0 || lease.compareTo(Ownership.MAX_LEASE) > 0) {
        throw new IllegalArgumentException(
            "--replica-lease "
                + lease.toMillis()
                + "ms is outside "
                + Ownership.MIN_LEASE.toSeconds()
                + "s.."
                + Ownership.MAX_LEASE.toMinutes()
                + "m");
      }
      advertise.ifPresent(SkiffServer::checkHostPort);
    }

    /** A database whose replica has a random id, the default lease, and advertises its address. */
    public Database(String url, Optional<Path> passwordFile) {
      this(url, passwordFile, Optional.empty(), Ownership.DEFAULT_LEASE, Optional.empty());
    }
  }

  /** A replica id: letters, digits, '-', '_' and '.', at most 64. */
  private static final Pattern REPLICA_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  /** Checks a {@code host:port} of {@code --advertise}. */
  private static String checkHostPort(String address) {
    int colon = address.lastIndexOf(':');
    boolean ok = colon > 0;
    if (ok) {
      try {
        int port = Integer.parseInt(address.substring(colon + 1));
        ok = port >= 1 && port <= 65535;
      } catch (NumberFormatException e) {
        ok = false;
      }
    }
    if (!ok) {
      throw new IllegalArgumentException(
          "--advertise '" + address + "' is not HOST:PORT (a port 1..65535), e.g. 10.0.0.5:7733");
    }
    return address;
  }

  /** The environment variable with the database user of {@code --database}. */
  public static final String DATABASE_USER_VARIABLE = "SKIFF_DATABASE_USER";

  /** The environment variable with the database password of {@code --database}. */
  public static final String DATABASE_PASSWORD_VARIABLE = "SKIFF_DATABASE_PASSWORD";

  /** How the server's API port and web gateway are protected. */
  public sealed interface Transport {
    /** TLS with the certificate in {@code DATA/tls}, generated on the first start. */
    record GeneratedCertificate() implements Transport {}

    /**
     * TLS with the operator's certificate.
     *
     * @param certificate the certificate chain, PEM (the server's first)
     * @param key its private key, unencrypted PKCS#8 PEM
     */
    record GivenCertificate(Path certificate, Path key) implements Transport {}

    /** No TLS: loopback hosts only. */
    record Plaintext() implements Transport {}
  }

  private final ControlPlane plane;
  private final Optional<String> fingerprint;
  private final DataDirectoryLock lock;

  private SkiffServer(ControlPlane plane, Optional<String> fingerprint, DataDirectoryLock lock) {
    this.plane = plane;
    plane.openDashboard(); // a server always serves its dashboard
    this.fingerprint = fingerprint;
    this.lock = lock;
  }

  /**
   * Starts a server: locks its data directory for itself, opens (or creates) its store, restores
   * deployed apps and unfinished calls, listens, and writes the client configuration.
   *
   * @throws IllegalStateException if another server runs on the same data directory, naming its pid
   *     and address; nothing was touched then
   * @throws UncheckedIOException if the store cannot be opened or the port is taken
   */
  public static SkiffServer start(Options options) {
    Path dataDir = options.dataDir().toAbsolutePath();
    createPrivateDirectory(dataDir);
    // Before the store and the client config: a second server on this directory would fire every
    // schedule again and point the clients at itself.
    DataDirectoryLock lock = DataDirectoryLock.acquire(dataDir);
    try {
      return start(options, dataDir, lock);
    } catch (RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  private static SkiffServer start(Options options, Path dataDir, DataDirectoryLock lock) {
    Store store = openStore(options, dataDir, System.getenv());
    String token = store.tokens().apiToken();
    InetSocketAddress address;
    Optional<ServerCertificate> tls;
    try {
      address = new InetSocketAddress(InetAddress.getByName(options.host()), options.port());
      tls = certificate(options, dataDir, address.getAddress());
    } catch (UnknownHostException e) {
      store.close();
      throw new IllegalArgumentException("--host '" + options.host() + "' is not a known host", e);
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    EmbeddedConfig embedded = EmbeddedConfig.defaults().withDataDir(dataDir);
    ContainerBackend backend;
    try {
      backend =
          ContainerBackendProvider.named(options.backend())
              .create(
                  BackendConfig.server(
                          options.allowUnsandboxed(),
                          options.containerJvmOptions(),
                          name -> VolumeStore.directory(dataDir, name),
                          ImageStore.resolver(embedded.buildDirectory()),
                          sha256 -> JarStore.file(dataDir, sha256))
                      .withContainerLimits(
                          options.limits().containerMemoryMib(), options.limits().containerPids()));
    } catch (IllegalArgumentException | IllegalStateException e) {
      store.close();
      throw e;
    }
    ControlPlane plane;
    try {
      plane =
          ControlPlane.start(
              ControlPlaneConfig.from(embedded)
                  .withMaxWarmContainers(options.maxWarmContainers())
                  .withLogRate(options.limits().logRate()),
              backend,
              Clock.systemUTC(),
              new ControlPlane.Listen(
                  address,
                  new InetSocketAddress(address.getAddress(), options.webPort()),
                  Optional.of(token),
                  store,
                  true,
                  options.retention(),
                  tls,
                  Optional.of(options.appLease()),
                  options.limits(),
                  options
                      .database()
                      .map(
                          d ->
                              new ControlPlane.Replication(
                                  d.replicaId().orElseGet(() -> replicaIdIn(dataDir)),
                                  d.lease(),
                                  d.advertise())),
                  options.containerPort() == 0
                      ? Optional.empty()
                      : Optional.of(
                          new InetSocketAddress(address.getAddress(), options.containerPort())),
                  metricsToken(options)));
    } catch (RuntimeException e) {
      backend.close();
      store.close();
      throw e;
    }
    try {
      lock.record("pid " + ProcessHandle.current().pid() + ", listening on " + plane.target());
      ClientConfig.write(
          options.configFile(), plane.target(), token, tls.map(ServerCertificate::certificatePem));
    } catch (RuntimeException e) {
      plane.close();
      throw e;
    }
    return new SkiffServer(plane, tls.map(ServerCertificate::fingerprint), lock);
  }

  /**
   * The store: the PostgreSQL database of {@code --database}, with the credentials of {@link
   * Database}, else the SQLite file in the data directory (readable by this user only).
   *
   * @throws UncheckedIOException if it cannot be opened, naming the database and the cause
   */
  static Store openStore(Options options, Path dataDir, Map<String, String> env) {
    if (options.database().isPresent()) {
      Database database = options.database().get();
      Optional<String> password;
      if (database.passwordFile().isPresent()) {
        Path file = database.passwordFile().get();
        try {
          password = Optional.of(Files.readString(file).lines().findFirst().orElse(""));
        } catch (IOException e) {
          throw new UncheckedIOException(
              "could not read --database-password-file " + file + ": " + e.getMessage(), e);
        }
      } else {
        password = Optional.ofNullable(env.get(DATABASE_PASSWORD_VARIABLE));
      }
      PostgresStore store =
          PostgresStore.open(
              database.url(), Optional.ofNullable(env.get(DATABASE_USER_VARIABLE)), password);
      return store;
    }
    SqliteStore store = SqliteStore.open(dataDir.resolve("skiff.db"));
    restrict(dataDir.resolve("skiff.db"));
    return store;
  }

  /**
   * The certificate to serve with, or none for {@code --plaintext}.
   *
   * @throws IllegalArgumentException for {@code --plaintext} off loopback, or an unusable
   *     certificate
   */
  private static Optional<ServerCertificate> certificate(
      Options options, Path dataDir, InetAddress address) {
    return switch (options.transport()) {
      case Transport.Plaintext p -> {
        if (!address.isLoopbackAddress()) {
          throw new IllegalArgumentException(
              "--host "
                  + options.host()
                  + " is not a loopback address, and --plaintext turns TLS"
                  + " off: a server that other machines can reach must use TLS. Drop --plaintext"
                  + " (the server then uses a certificate it generates in "
                  + dataDir.resolve("tls")
                  + "), or give --tls-cert FILE --tls-key FILE");
        }
        yield Optional.empty();
      }
      case Transport.GivenCertificate g ->
          Optional.of(ServerCertificate.read(g.certificate(), g.key()));
      case Transport.GeneratedCertificate g ->
          Optional.of(
              ServerCertificate.generated(
                  dataDir.resolve("tls"),
                  address.isAnyLocalAddress() || address.isLoopbackAddress()
                      ? List.of()
                      : List.of(options.host())));
    };
  }

  /** Where the server listens, {@code host:port}. */
  public String target() {
    return plane.target();
  }

  /** The API token clients must present. */
  public String token() {
    return plane.token();
  }

  /** The web gateway's base URL ({@code https://...} with TLS). */
  public String webBaseUrl() {
    return plane.webBaseUrl();
  }

  /** The SHA-256 fingerprint of the certificate it serves; empty without TLS. */
  public Optional<String> fingerprint() {
    return fingerprint;
  }

  /** Stops every app and container, closes the store, and unlocks the data directory. */
  @Override
  public void close() {
    try {
      plane.close();
    } finally {
      lock.close();
    }
  }

  /**
   * Runs the server until SIGTERM or SIGINT.
   *
   * @param args {@code --data-dir DIR}, {@code --host HOST}, {@code --port N}, {@code
   *     --result-retention D} (e.g. {@code 7d}, {@code 12h}, {@code 30m}, {@code 90s}), {@code
   *     --help}
   */
  public static void main(String[] args) throws InterruptedException {
    if (System.getProperty("slf4j.internal.verbosity") == null) {
      // SQLite and Maven Resolver log through slf4j-api, with no provider here: not a problem.
      System.setProperty("slf4j.internal.verbosity", "ERROR");
    }
    if (System.getProperty(JETTY_REFERENCES_PER_CACHE_LINE) == null) {
      // Without it, Jetty asks the platform MBean server whether oops are compressed, to size
      // its padding against false sharing; starting that server (JMX, JFR's diagnostic commands:
      // 260 classes) delays the listening line by about 80 ms. 16 fits 64-byte lines of 4-byte
      // references, and over-pads (harmlessly) on heaps too big for compressed oops.
      System.setProperty(JETTY_REFERENCES_PER_CACHE_LINE, "16");
    }
    Options options;
    try {
      options = parse(args, Options.defaults());
    } catch (IllegalArgumentException e) {
      System.err.println("skiff server: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (options == null) {
      usage(System.out);
      return;
    }
    SkiffServer server;
    try {
      server = start(options);
    } catch (RuntimeException e) {
      System.err.println("skiff server: " + e.getMessage());
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                },
                "skiff-server-shutdown"));
    if (!address(options.host()).isLoopbackAddress()) {
      System.err.println(
          "skiff server: warning: listening on "
              + options.host()
              + ", not loopback: anyone who can reach it and has the token can run code here"
              + " (TLS keeps the token from being read on the way)");
    }
    System.out.println(
        "Skiff server listening on "
            + server.target()
            + " (web endpoints at "
            + server.webBaseUrl()
            + "); "
            + server.fingerprint().map(f -> "TLS certificate SHA-256 " + f).orElse("no TLS")
            + "; data in "
            + options.dataDir().toAbsolutePath()
            + options.database().map(d -> ", store in " + d.url()).orElse("")
            + "; client config in "
            + options.configFile());
    System.out.flush();
    stopped.await();
  }

  private static InetAddress address(String host) {
    try {
      return InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /**
   * The replica id kept in the data directory ({@code DIR/replica-id}), made on first start: a
   * restarted replica is the same replica, and takes its apps back at once.
   */
  static String replicaIdIn(Path dataDir) {
    Path file = dataDir.resolve("replica-id");
    try {
      if (Files.exists(file)) {
        String id = Files.readString(file).strip();
        if (!REPLICA_ID.matcher(id).matches()) {
          throw new IllegalArgumentException("'" + id + "' is not a replica id");
        }
        return id;
      }
      String id = "replica-" + RandomIds.token().substring(0, 8);
      Path temp = Files.createTempFile(dataDir, ".replica-id-", ".tmp");
      DurableFiles.write(temp, file, (id + "\n").getBytes(StandardCharsets.UTF_8));
      return id;
    } catch (IOException e) {
      throw new UncheckedIOException("could not read or write " + file + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          file + " holds no usable replica id (" + e.getMessage() + "); delete it for a new one",
          e);
    }
  }

  /** Reads the command line; null means --help. */
  static Options parse(String[] args, Options defaults) {
    Path dataDir = defaults.dataDir();
    String host = defaults.host();
    int port = defaults.port();
    int webPort = defaults.webPort();
    int containerPort = defaults.containerPort();
    Duration retention = defaults.retention();
    boolean allowUnsandboxed = defaults.allowUnsandboxed();
    List<String> containerJvmOptions = defaults.containerJvmOptions();
    String backend = defaults.backend();
    int maxWarmContainers = defaults.maxWarmContainers();
    Duration appLease = defaults.appLease();
    ServerLimits limits = defaults.limits();
    Optional<Path> tlsCert = Optional.empty();
    Optional<Path> tlsKey = Optional.empty();
    Optional<String> databaseUrl = defaults.database().map(Database::url);
    Optional<Path> databasePasswordFile = defaults.database().flatMap(Database::passwordFile);
    Optional<String> replicaId = defaults.database().flatMap(Database::replicaId);
    Optional<Duration> replicaLease = defaults.database().map(Database::lease);
    Optional<String> advertise = defaults.database().flatMap(Database::advertise);
    Optional<Path> metricsTokenFile = defaults.metricsTokenFile();
    boolean plaintext = defaults.transport() instanceof Transport.Plaintext;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--help") || a.equals("-h")) {
        return null;
      }
      if (a.equals("--allow-unsandboxed")) {
        allowUnsandboxed = true;
        continue;
      }
      if (a.equals("--plaintext")) {
        plaintext = true;
        continue;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("unknown option or missing value: " + a);
      }
      String v = args[++i];
      switch (a) {
        case "--data-dir" -> dataDir = Path.of(v);
        case "--host" -> host = v;
        case "--port" -> port = port(a, v);
        case "--web-port" -> webPort = port(a, v);
        case "--container-port" -> containerPort = port(a, v);
        case "--result-retention" -> retention = retention(v);
        case "--tls-cert" -> tlsCert = Optional.of(Path.of(v));
        case "--tls-key" -> tlsKey = Optional.of(Path.of(v));
        case "--database" -> databaseUrl = Optional.of(PostgresStore.checkUrl(v));
        case "--database-password-file" -> databasePasswordFile = Optional.of(Path.of(v));
        case "--replica-id" -> replicaId = Optional.of(v);
        case "--replica-lease" -> replicaLease = Optional.of(duration(a, v));
        case "--advertise" -> advertise = Optional.of(checkHostPort(v));
        case "--metrics-token-file" -> metricsTokenFile = Optional.of(Path.of(v));
        case "--container-jvm-options" ->
            containerJvmOptions = v.isBlank() ? List.of() : List.of(v.strip().split("\\s+"));
        case "--backend" -> backend = ContainerBackendProvider.named(v).name();
        case "--max-warm-containers" -> maxWarmContainers = maxWarmContainers(v);
        case "--app-lease" -> appLease = checkAppLease(duration(a, v), v);
        case "--max-message-mib",
            "--max-blob-mib",
            "--blob-quota-mib",
            "--container-memory-mib",
            "--container-pids",
            "--log-rate",
            "--web-max-buffered-mib",
            "--web-max-connections",
            "--web-idle-timeout",
            "--web-read-timeout" ->
            limits = limits.with(a, v);
        default ->
            throw new IllegalArgumentException(
                "unknown option "
                    + a
                    + "; allowed: --data-dir, --host, --port, --web-port, --container-port,"
                    + " --result-retention,"
                    + " --tls-cert, --tls-key, --plaintext, --allow-unsandboxed, --database,"
                    + " --database-password-file, --replica-id, --replica-lease, --advertise,"
                    + " --metrics-token-file, --container-jvm-options, --backend, --max-warm-containers, --app-lease,"
                    + " --max-message-mib, --max-blob-mib, --blob-quota-mib,"
                    + " --container-memory-mib, --container-pids, --log-rate,"
                    + " --web-max-buffered-mib, --web-max-connections, --web-idle-timeout,"
                    + " --web-read-timeout, --help");
      }
    }
    if (databasePasswordFile.isPresent() && databaseUrl.isEmpty()) {
      throw new IllegalArgumentException(
          "--database-password-file needs --database: it is the password of that database (the"
              + " SQLite file in the data directory has none)");
    }
    if (databaseUrl.isEmpty()
        && (replicaId.isPresent() || replicaLease.isPresent() || advertise.isPresent())) {
      throw new IllegalArgumentException(
          "--replica-id, --replica-lease and --advertise need --database: replicas share a"
              + " PostgreSQL database (the SQLite file in the data directory serves one server)");
    }
    Optional<Path> passwordFile = databasePasswordFile;
    Optional<String> id = replicaId;
    Duration lease = replicaLease.orElse(Ownership.DEFAULT_LEASE);
    Optional<String> advertised = advertise;
    Optional<Database> database =
        databaseUrl.map(url -> new Database(url, passwordFile, id, lease, advertised));
    Transport transport;
    if (tlsCert.isPresent() != tlsKey.isPresent()) {
      throw new IllegalArgumentException(
          (tlsCert.isPresent() ? "--tls-cert needs --tls-key" : "--tls-key needs --tls-cert")
              + ": give both, the certificate (PEM) and its private key (PEM, PKCS#8)");
    } else if (tlsCert.isPresent() && plaintext) {
      throw new IllegalArgumentException(
          "--plaintext turns TLS off, so --tls-cert and --tls-key cannot go with it");
    } else if (tlsCert.isPresent()) {
      transport = new Transport.GivenCertificate(tlsCert.get(), tlsKey.get());
    } else if (plaintext) {
      transport = new Transport.Plaintext();
    } else {
      transport = defaults.transport();
    }
    return new Options(
        dataDir,
        host,
        port,
        webPort,
        retention,
        defaults.configFile(),
        transport,
        allowUnsandboxed,
        containerJvmOptions,
        backend,
        maxWarmContainers,
        appLease,
        limits,
        database,
        containerPort,
        metricsTokenFile);
  }

  /**
   * The token of {@code --metrics-token-file}: the file's first line, stripped.
   *
   * @throws IllegalArgumentException if the file cannot be read or its first line is blank
   */
  static Optional<String> metricsToken(Options options) {
    if (options.metricsTokenFile().isEmpty()) {
      return Optional.empty();
    }
    Path file = options.metricsTokenFile().get();
    String token;
    try {
      token = Files.readString(file).lines().findFirst().orElse("").strip();
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "could not read --metrics-token-file " + file + ": " + e.getMessage(), e);
    }
    if (token.isEmpty()) {
      throw new IllegalArgumentException(
          "--metrics-token-file " + file + " holds no token: its first line is empty");
    }
    return Optional.of(token);
  }

  /**
   * {@code lease} if it is within {@link AppLeases#MIN_LENGTH}..{@link AppLeases#MAX_LENGTH}.
   *
   * @param given the value as the operator wrote it, for the error
   * @throws IllegalArgumentException naming the bounds otherwise
   */
  static Duration checkAppLease(Duration lease, String given) {
    if (lease.compareTo(AppLeases.MIN_LENGTH) < 0 || lease.compareTo(AppLeases.MAX_LENGTH) > 0) {
      throw new IllegalArgumentException(
          "--app-lease "
              + given
              + " is outside the allowed 1s..1h (the default is 30s): an ephemeral app whose"
              + " client stops renewing is stopped after this long");
    }
    return lease;
  }

  /**
   * A {@code --max-warm-containers} value: a whole number 0..{@value
   * ControlPlaneConfig#MAX_WARM_CONTAINERS_LIMIT}.
   */
  static int maxWarmContainers(String v) {
    int n;
    try {
      n = Integer.parseInt(v);
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (n < 0 || n > ControlPlaneConfig.MAX_WARM_CONTAINERS_LIMIT) {
      throw new IllegalArgumentException(
          "--max-warm-containers "
              + v
              + " is not a number of containers (0.."
              + ControlPlaneConfig.MAX_WARM_CONTAINERS_LIMIT
              + "; 0 turns the warm pool off)");
    }
    return n;
  }

  private static int port(String option, String v) {
    int port;
    try {
      port = Integer.parseInt(v);
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(option + " " + v + " is not a port (0..65535)");
    }
    return port;
  }

  /** {@code 7d}, {@code 12h}, {@code 30m}, {@code 90s}, or an ISO-8601 duration; at least 1 s. */
  static Duration retention(String v) {
    Duration d = duration("--result-retention", v);
    if (d.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("--result-retention " + v + " is less than 1 s");
    }
    return d;
  }

  /**
   * The value {@code v} of {@code option}: {@code 7d}, {@code 12h}, {@code 30m}, {@code 90s}, or
   * ISO-8601.
   */
  static Duration duration(String option, String v) {
    Duration d;
    Matcher m = RETENTION.matcher(v);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      d =
          switch (m.group(2)) {
            case "d" -> Duration.ofDays(n);
            case "h" -> Duration.ofHours(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofSeconds(n);
          };
    } else {
      try {
        d = Duration.parse(v);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            option + " " + v + " is not a duration; use e.g. 7d, 12h, 30m, 90s or PT1H");
      }
    }
    return d;
  }

  private static void usage(PrintStream out) {
    out.println(
        """
        Usage: skiff server [--data-dir DIR] [--host HOST] [--port N] [--web-port N]
                            [--container-port N] [--result-retention D]
                            [--tls-cert FILE --tls-key FILE | --plaintext]
                            [--allow-unsandboxed] [--backend NAME] [--app-lease D]
                            [--max-message-mib N] [--max-blob-mib N] [--blob-quota-mib N]
                            [--container-memory-mib N] [--container-pids N] [--log-rate N]
                            [--web-max-buffered-mib N] [--web-max-connections N]
                            [--web-idle-timeout D] [--web-read-timeout D]
                            [--database URL [--database-password-file FILE]]
                            [--metrics-token-file FILE]

        Runs the Skiff control plane until SIGTERM or SIGINT, keeping deployed apps and spawned
        calls in DIR/skiff.db, or in the PostgreSQL database of --database.

          --data-dir DIR          data directory (default $SKIFF_HOME/data or ~/.skiff/data)
          --host HOST             address to listen on (default 127.0.0.1, loopback only)
          --port N                port of the API (default 7733; 0 for any free port)
          --web-port N            port of the web endpoints (default 7734; 0 for any free port)
          --container-port N      port on HOST where containers on other machines (pods of
                                  --backend kubernetes) reach the server, with its TLS;
                                  container tokens only (default 0: none)
          --result-retention D    how long results of spawned calls are kept (default 7d;
                                  e.g. 12h, 30m, 90s)
          --tls-cert FILE         the certificate (PEM, the server's first, then any
                                  intermediates) of the API and web endpoints; default: one
                                  generated on first start in DIR/tls
          --tls-key FILE          its private key (PEM, unencrypted PKCS#8)
          --plaintext             no TLS (refused unless HOST is loopback)
          --allow-unsandboxed     where bubblewrap does not work, run containers as plain
                                  processes that see this machine's files and network (without
                                  this, the server refuses to start there)
          --backend NAME          where containers run (default local: child processes of
                                  this server); an unknown name fails, listing the available
          --app-lease D           how long an app of app.run() lives after its client stops
                                  renewing its lease, e.g. when it was killed (default 30s;
                                  1s..1h); the client renews every third of it
          --max-message-mib N     the largest gRPC message accepted, in MiB (default 64)
          --max-blob-mib N        the largest blob (a payload past 4 MiB), in MiB (default 256)
          --blob-quota-mib N      the most all blobs may hold together, in MiB (default 16384)
          --container-memory-mib N  the memory limit of a container whose function sets none,
                                  in MiB (default 2048; 0: none)
          --container-pids N      the most processes and threads of one container (default
                                  4096; 0: no limit)
          --log-rate N            the most lines of output per second of one container, with
                                  bursts of twice as many; lines beyond it are dropped and
                                  counted (default 1000; 1..1000000)
          --web-max-buffered-mib N  the most request-body bytes the web endpoints hold at once,
                                  in MiB; a request past it gets 503 (default 256)
          --web-max-connections N the most open connections to the web endpoints (default 4096)
          --web-idle-timeout D    a web connection that sends nothing for this long is closed
                                  (default 30s; 1s..1h)
          --web-read-timeout D    a web request's body must arrive within this long, else 408
                                  (default 30s; 1s..1h)
          --database URL          keep the store in this PostgreSQL database instead of
                                  DIR/skiff.db: jdbc:postgresql://HOST:PORT/DATABASE, without a
                                  password; the user is $SKIFF_DATABASE_USER (else the URL's
                                  user=), the password $SKIFF_DATABASE_PASSWORD; jars, images,
                                  secrets, blobs and volumes stay in DIR
          --database-password-file FILE  read the database password from FILE (its first line)
                                  instead of $SKIFF_DATABASE_PASSWORD
          --metrics-token-file FILE  the web port's /metrics requires the token in FILE (its
                                  first line) as 'Authorization: Bearer TOKEN'; without it,
                                  /metrics is open (app and function names and counts only)
        """);
  }

  private static void createPrivateDirectory(Path dir) {
    try {
      Files.createDirectories(dir);
      restrict(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("could not create the data directory " + dir, e);
    }
  }

  private static void restrict(Path p) {
    try {
      Files.setPosixFilePermissions(
          p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwx------" : "rw-------"));
    } catch (UnsupportedOperationException | IOException e) {
      // Not a POSIX file system: nothing to restrict with.
    }
  }
}
