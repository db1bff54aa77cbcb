package dev.skiff.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import dev.skiff.internal.PayloadCodec;
import dev.skiff.internal.ServerTrust;
import dev.skiff.internal.SkiffClient;
import dev.skiff.internal.container.ContainerMain;
import dev.skiff.proto.AddLocalStep;
import dev.skiff.proto.AppStatusRequest;
import dev.skiff.proto.Assignment;
import dev.skiff.proto.CallRequest;
import dev.skiff.proto.ClientApiGrpc;
import dev.skiff.proto.ContainerApiGrpc;
import dev.skiff.proto.ContainerHello;
import dev.skiff.proto.ContainerMessage;
import dev.skiff.proto.ControlMessage;
import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.DeployAppRequest;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.FunctionRef;
import dev.skiff.proto.ImageApiGrpc;
import dev.skiff.proto.ImageBuildEvent;
import dev.skiff.proto.ImageFile;
import dev.skiff.proto.ImageRecipe;
import dev.skiff.proto.ImageStep;
import dev.skiff.proto.Ready;
import dev.skiff.proto.Result;
import dev.skiff.proto.WebEndpointDef;
import dev.skiff.server.auth.TokenInterceptor;
import dev.skiff.server.backend.ClasspathEntry;
import dev.skiff.server.backend.ShippedImage;
import dev.skiff.server.backend.kubernetes.PodBootJar;
import dev.skiff.server.deploy.JarStore;
import dev.skiff.server.image.ImageStore;
import dev.skiff.server.runtime.ControlPlaneConfig;
import dev.skiff.server.store.InMemoryStore;
import dev.skiff.server.testing.FakeBackend;
import dev.skiff.server.testing.RecordingObserver;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Type;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Containers on other machines (pods of the Kubernetes backend): the control plane's TCP listener
 * for containers takes container tokens only, its web gateway serves an app's stored jars to that
 * app's containers only, and a pod's boot ({@code PodBoot}, in a child JVM from the jar the server
 * builds) fetches the jars, checks them and runs the container entrypoint, which dials the TCP
 * listener. A real control plane with a durable store; its backend is a puppet, and the test plays
 * the pod.
 */
class RemoteContainersTest {
  @TempDir Path dataDir;
  @TempDir Path scratch;

  private final FakeBackend backend = new FakeBackend();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private ControlPlane plane;
  private String pem = ""; // the certificate pods pin; empty: plaintext

  @BeforeEach
  void start() {
    plane = start(Optional.empty());
  }

  private ControlPlane start(Optional<ServerCertificate> tls) {
    InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    return ControlPlane.start(
        new ControlPlaneConfig(
            4,
            Duration.ofSeconds(60),
            Duration.ofSeconds(300),
            Duration.ofSeconds(30),
            Duration.ofMillis(200),
            Duration.ofMillis(200),
            Duration.ofMillis(100),
            3,
            Duration.ofSeconds(60),
            0,
            dataDir),
        backend,
        Clock.systemUTC(),
        new ControlPlane.Listen(
            loopback,
            loopback,
            Optional.empty(),
            new InMemoryStore(),
            true,
            Duration.ofDays(1),
            tls,
            Optional.empty(),
            ServerLimits.defaults(),
            Optional.empty(),
            Optional.of(loopback),
            Optional.empty()));
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (ManagedChannel c : channels) {
      c.shutdownNow();
      c.awaitTermination(5, TimeUnit.SECONDS);
    }
    plane.close();
    http.close();
  }

  @Test
  void containerPortRefusesTheClientTokenAndTakesAContainerToken() throws Exception {
    String container = plane.containerTarget().orElseThrow();
    assertThatThrownBy(
            () ->
                ClientApiGrpc.newBlockingStub(channel(container, plane.token()))
                    .getAppStatus(AppStatusRequest.newBuilder().setAppId("ap-none").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));

    deploy(List.of(storeJar("one.jar")));
    call();
    FakeBackend.Puppet puppet = awaitPuppet();
    // The container dials the TCP listener (not its Unix socket) and is given its input.
    ManagedChannel tcp = SkiffClient.channel(container, puppet.env("SKIFF_TOKEN"));
    channels.add(tcp);
    RecordingObserver<ControlMessage> down = new RecordingObserver<>();
    var up = ContainerApiGrpc.newStub(tcp).connect(down);
    up.onNext(
        ContainerMessage.newBuilder()
            .setHello(
                ContainerHello.newBuilder()
                    .setContainerId(puppet.spec.containerId())
                    .setToken(puppet.env("SKIFF_TOKEN")))
            .build());
    up.onNext(ContainerMessage.newBuilder().setReady(Ready.getDefaultInstance()).build());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                down.values.stream()
                    .filter(ControlMessage::hasAssignments)
                    .flatMap(m -> m.getAssignments().getAssignmentsList().stream())
                    .map(Assignment::getInputId)
                    .findFirst()
                    .isPresent());
    up.onCompleted();
  }

  @Test
  void jarEndpointServesTheAppsJarsToItsContainersOnly() throws Exception {
    String used = storeJar("used.jar");
    String other = storeJar("other.jar");
    deploy(List.of(used));
    call();
    String token = awaitPuppet().env("SKIFF_TOKEN");

    HttpResponse<byte[]> ok = get(used, Optional.of(token));
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.headers().firstValue("Content-Type")).contains("application/java-archive");
    assertThat(ok.headers().firstValueAsLong("Content-Length"))
        .hasValue(Files.size(JarStore.file(dataDir, used)));
    assertThat(ok.body()).isEqualTo(Files.readAllBytes(JarStore.file(dataDir, used)));

    assertThat(get(used, Optional.empty()).statusCode()).isEqualTo(401);
    assertThat(get(used, Optional.of(plane.token())).statusCode()).isEqualTo(401);
    assertThat(get(used, Optional.of("not-a-token")).statusCode()).isEqualTo(401);
    assertThat(get(other, Optional.of(token)).statusCode()).isEqualTo(403);
    assertThat(get("0".repeat(64), Optional.of(token)).statusCode()).isEqualTo(404);
    assertThat(get("not-a-sha", Optional.of(token)).statusCode()).isEqualTo(404);

    // No app's endpoint can sit under the gateway's own paths.
    assertThatThrownBy(
            () ->
                client()
                    .createApp(
                        CreateAppRequest.newBuilder()
                            .setAppName("_skiff")
                            .addClasspath("/app.jar")
                            .addFunctions(
                                FunctionDef.newBuilder()
                                    .setName("g")
                                    .setClassName("com.example.G")
                                    .setMethodName("g")
                                    .setWebEndpoint(
                                        WebEndpointDef.newBuilder()
                                            .setLabel("jars")
                                            .setMethod("GET")))
                            .build())
                    .get(10, TimeUnit.SECONDS))
        .hasMessageContaining("app '_skiff' cannot have web endpoints");
  }

  @Test
  void jarEndpointServesWhatAnImageShippedToContainersOfAppsOnThatImageOnly() throws Exception {
    String imageId = buildImage("a note");
    deploy("other", List.of(storeJar("other.jar")), "");
    deploy("pods", List.of(storeJar("used.jar")), imageId);
    call("pods");
    FakeBackend.Puppet onImage = awaitPuppet();
    assertThat(onImage.spec.image()).contains(imageId);
    // What the Kubernetes backend does when it starts the container's pod.
    ShippedImage shipped = ImageStore.resolver(dataDir).ship(imageId).orElseThrow();
    String files = shipped.files().orElseThrow();
    call("other");
    await().atMost(Duration.ofSeconds(10)).until(() -> backend.started.size() == 2);
    String otherToken = backend.started.get(1).env("SKIFF_TOKEN");

    HttpResponse<byte[]> ok = get(files, Optional.of(onImage.env("SKIFF_TOKEN")));
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.body()).isEqualTo(Files.readAllBytes(ImageStore.shippedFile(dataDir, files)));
    assertThat(get(files, Optional.of(otherToken)).statusCode()).isEqualTo(403);
  }

  @Test
  void podBootFetchesChecksAndRunsTheEntrypointWhichDialsTheContainerPort() throws Exception {
    // As in production: TLS, which the pod pins to the control plane's certificate.
    ServerCertificate certificate = ServerCertificate.generated(scratch.resolve("tls"), List.of());
    plane.close();
    plane = start(Optional.of(certificate));
    pem = certificate.certificatePem();
    List<String> jars = new ArrayList<>();
    jars.add(storeFile(functionJar()));
    for (Path jar : sdkClasspath()) {
      jars.add(storeFile(jar));
    }
    List<String> classpath = jars.stream().distinct().toList();
    deploy(classpath, PodFunction.class.getName(), "echo");
    ListenableFuture<Result> result =
        client()
            .call(
                CallRequest.newBuilder()
                    .setFunction(FunctionRef.newBuilder().setAppName("pods").setFunctionName("f"))
                    .setArgs(
                        ByteString.copyFrom(
                            PayloadCodec.forParameters(new Type[] {String.class})
                                .encode(new Object[] {"hi"}, "f")))
                    .build());
    FakeBackend.Puppet puppet = awaitPuppet();
    assertThat(puppet.spec.classpath()).first().isInstanceOf(ClasspathEntry.Jar.class);
    Path cache = scratch.resolve("cache");

    Process pod = pod(puppet, classpath, cache);
    try {
      // The pod fetched and checked the jars, ran ContainerMain from them, which dialled the TCP
      // listener (it has no Unix socket) and ran the function in the pod's JVM.
      Result r = result.get(60, TimeUnit.SECONDS); // its stderr: scratch/cache.stderr
      assertThat(PayloadCodec.forType(String.class).decode(r.getValue().toByteArray(), "result"))
          .isEqualTo("pod:hi");
      for (String sha : classpath) {
        assertThat(cache.resolve(sha + ".jar")).exists();
      }

      // While it runs (its token is live), a jar that arrives with other bytes than its SHA-256
      // names is refused, and not cached.
      String first = classpath.get(0);
      Path stored = JarStore.file(dataDir, first);
      Files.delete(stored); // a link to the original: the endpoint now serves other bytes
      Files.writeString(stored, "not the jar");
      Process bad = pod(puppet, classpath, scratch.resolve("cache-2"));
      assertThat(bad.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String badErr = Files.readString(scratch.resolve("cache-2.stderr"));
      assertThat(bad.exitValue()).as(badErr).isEqualTo(70);
      assertThat(badErr).contains("jar " + first, "has SHA-256");
      assertThat(scratch.resolve("cache-2").resolve(first + ".jar")).doesNotExist();
    } finally {
      pod.destroyForcibly();
      pod.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** A jar of {@link PodFunction} alone. */
  private Path functionJar() throws IOException {
    String resource = PodFunction.class.getName().replace('.', '/') + ".class";
    Path jar = scratch.resolve("function.jar");
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream zip = new JarOutputStream(out);
        InputStream in = PodFunction.class.getClassLoader().getResourceAsStream(resource)) {
      zip.putNextEntry(new JarEntry(resource));
      in.transferTo(zip);
      zip.closeEntry();
    }
    return jar;
  }

  /** A pod: the boot jar alone on its classpath, the puppet's environment and the pod's own. */
  private Process pod(FakeBackend.Puppet puppet, List<String> classpath, Path cache)
      throws IOException {
    Path bootJar = scratch.resolve(PodBootJar.FILE_NAME);
    if (!Files.exists(bootJar)) {
      Files.write(bootJar, PodBootJar.bytes());
    }
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            bootJar.toString(),
            PodBootJar.MAIN_CLASS);
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("SKIFF_"));
    env.putAll(puppet.spec.environment());
    env.put("SKIFF_CLASSPATH", String.join(",", classpath));
    env.put("SKIFF_JAR_URL", plane.webBaseUrl() + "/_skiff/jars/");
    env.put("SKIFF_CONTROL_PLANE", plane.containerTarget().orElseThrow());
    env.put("SKIFF_CONTROL_PLANE_CERT", pem);
    env.put("SKIFF_CACHE_DIR", cache.toString());
    env.remove("SKIFF_PARENT_PID");
    env.remove("SKIFF_SERVER"); // a pod has no Unix socket: only the TCP listener
    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.redirectError(cache.resolveSibling(cache.getFileName() + ".stderr").toFile());
    return pb.start();
  }

  /** The SDK's classpath, as jars: what a deployed app's classpath holds besides its own jars. */
  private List<Path> sdkClasspath() throws IOException {
    List<String> prefixes =
        List.of(
            "skiff-sdk",
            "skiff-proto",
            "grpc-",
            "protobuf-java",
            "proto-google",
            "guava",
            "failureaccess",
            "perfmark",
            "jackson-",
            "gson",
            "jsr305",
            "error_prone",
            "j2objc",
            "animal-sniffer",
            "jspecify");
    List<Path> jars = new ArrayList<>();
    Path sdk = Path.of(URI.create(location(ContainerMain.class)));
    Path proto = Path.of(URI.create(location(ContainerMessage.class)));
    jars.add(asJar(sdk));
    jars.add(asJar(proto));
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator, -1)) {
      Path p = Path.of(entry);
      String name = p.getFileName().toString();
      if (name.endsWith(".jar")
          && prefixes.stream().anyMatch(name::startsWith)
          && !p.equals(sdk)
          && !p.equals(proto)) {
        jars.add(p);
      }
    }
    return jars;
  }

  private static String location(Class<?> c) {
    return c.getProtectionDomain().getCodeSource().getLocation().toString();
  }

  /** A jar as it is, or a class directory zipped into one. */
  private Path asJar(Path p) throws IOException {
    if (!Files.isDirectory(p)) {
      return p;
    }
    Path jar = Files.createTempFile(scratch, "classes-", ".jar");
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream zip = new JarOutputStream(out);
        Stream<Path> files = Files.walk(p)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        zip.putNextEntry(new JarEntry(p.relativize(f).toString().replace(File.separatorChar, '/')));
        Files.copy(f, zip);
        zip.closeEntry();
      }
    }
    return jar;
  }

  /** Puts a small jar in the jar store. */
  private String storeJar(String name) throws IOException {
    Path jar = scratch.resolve(name);
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream zip = new JarOutputStream(out)) {
      zip.putNextEntry(new JarEntry(name + ".txt"));
      zip.write(name.getBytes(StandardCharsets.UTF_8));
      zip.closeEntry();
    }
    return storeFile(jar);
  }

  /** Puts a jar into the jar store as a link to its file, as a deploy would have uploaded it. */
  private String storeFile(Path jar) throws IOException {
    String sha = sha256(jar);
    Path stored = JarStore.file(dataDir, sha);
    Files.createDirectories(stored.getParent());
    if (!Files.exists(stored, LinkOption.NOFOLLOW_LINKS)) {
      Files.createSymbolicLink(stored, jar.toAbsolutePath());
    }
    return sha;
  }

  private static String sha256(Path file) throws IOException {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      try (var in = Files.newInputStream(file)) {
        byte[] buffer = new byte[64 * 1024];
        for (int n; (n = in.read(buffer)) > 0; ) {
          d.update(buffer, 0, n);
        }
      }
      return HexFormat.of().formatHex(d.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private void deploy(List<String> jars) throws Exception {
    deploy(jars, "com.example.Missing", "f");
  }

  private void deploy(List<String> jars, String className, String method) throws Exception {
    deploy("pods", jars, className, method, "");
  }

  private void deploy(String app, List<String> jars, String imageId) throws Exception {
    deploy(app, jars, "com.example.Missing", "f", imageId);
  }

  private void deploy(
      String app, List<String> jars, String className, String method, String imageId)
      throws Exception {
    client()
        .deployApp(
            DeployAppRequest.newBuilder()
                .setApp(
                    CreateAppRequest.newBuilder()
                        .setAppName(app)
                        .addFunctions(
                            FunctionDef.newBuilder()
                                .setName("f")
                                .setClassName(className)
                                .setMethodName(method)
                                .setMethodDescriptor("(Ljava/lang/String;)Ljava/lang/String;")
                                .setConcurrentInputs(1)
                                .setMaxContainers(1)
                                .setImageId(imageId)))
                .addAllJars(jars)
                .build())
        .get(30, TimeUnit.SECONDS);
  }

  /** Builds a JDK image with one added file on the control plane; its id. */
  private String buildImage(String note) {
    ImageRecipe recipe =
        ImageRecipe.newBuilder()
            .addSteps(ImageStep.newBuilder().setJdk(Runtime.version().feature()))
            .addSteps(
                ImageStep.newBuilder()
                    .setAddLocal(
                        AddLocalStep.newBuilder()
                            .setSource("/src/note.txt")
                            .setTarget("note.txt")
                            .addFiles(
                                ImageFile.newBuilder().setContent(ByteString.copyFromUtf8(note)))))
            .build();
    var events =
        ImageApiGrpc.newBlockingStub(channel(plane.target(), plane.token())).buildImage(recipe);
    String id = "";
    while (events.hasNext()) {
      ImageBuildEvent e = events.next();
      if (e.hasBuilt()) {
        id = e.getBuilt().getImageId();
      } else if (e.hasFailed()) {
        throw new IllegalStateException("the image did not build: " + e.getFailed());
      }
    }
    return id;
  }

  private ListenableFuture<Result> call() {
    return call("pods");
  }

  private ListenableFuture<Result> call(String app) {
    return client()
        .call(
            CallRequest.newBuilder()
                .setFunction(FunctionRef.newBuilder().setAppName(app).setFunctionName("f"))
                .build());
  }

  private FakeBackend.Puppet awaitPuppet() {
    await().atMost(Duration.ofSeconds(10)).until(() -> !backend.started.isEmpty());
    return backend.started.get(0);
  }

  private HttpResponse<byte[]> get(String sha, Optional<String> token) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(plane.webBaseUrl() + "/_skiff/jars/" + sha));
    token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private ClientApiGrpc.ClientApiFutureStub client() {
    return ClientApiGrpc.newFutureStub(channel(plane.target(), plane.token()));
  }

  private ManagedChannel channel(String target, String token) {
    Metadata headers = new Metadata();
    headers.put(TokenInterceptor.AUTHORIZATION, "Bearer " + token);
    ManagedChannel c =
        pem.isEmpty()
            ? NettyChannelBuilder.forTarget(target)
                .usePlaintext()
                .intercept(MetadataUtils.newAttachHeadersInterceptor(headers))
                .build()
            : SkiffClient.channel(target, token, ServerTrust.pinned(pem, "the test"));
    channels.add(c);
    return c;
  }
}
