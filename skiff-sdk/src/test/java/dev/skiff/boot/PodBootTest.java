package dev.skiff.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a pod's boot fetches and refuses, against a real HTTP server on loopback that serves what
 * the test puts in {@link #served} (the control plane's own endpoint is tested with the server).
 */
class PodBootTest {
  @TempDir Path cache;

  private final Map<String, byte[]> served = new ConcurrentHashMap<>();
  private final Map<String, String> authorizations = new ConcurrentHashMap<>();
  private HttpServer server;

  @BeforeEach
  void serve() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/_skiff/jars/",
        exchange -> {
          String sha = exchange.getRequestURI().getPath().substring("/_skiff/jars/".length());
          authorizations.put(sha, exchange.getRequestHeaders().getFirst("Authorization"));
          byte[] body = served.get(sha);
          exchange.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
          if (body != null) {
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          }
          exchange.close();
        });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  @Test
  void fetchesMissingJarsInOrderWithTheContainerTokenAndKeepsThem() throws Exception {
    byte[] a = "jar a".getBytes(StandardCharsets.UTF_8);
    byte[] b = "jar b".getBytes(StandardCharsets.UTF_8);
    served.put(sha256(a), a);
    served.put(sha256(b), b);
    Files.write(cache.resolve(sha256(b) + ".jar"), b); // already cached: not fetched again

    List<Path> jars = PodBoot.fetch(env(sha256(a) + "," + sha256(b)));

    assertThat(jars)
        .containsExactly(cache.resolve(sha256(a) + ".jar"), cache.resolve(sha256(b) + ".jar"));
    assertThat(Files.readAllBytes(jars.get(0))).isEqualTo(a);
    assertThat(authorizations).containsOnlyKeys(sha256(a)).containsValue("Bearer tok-1");
    try (var files = Files.list(cache)) {
      assertThat(files).hasSize(2); // no temporary file is left
    }
  }

  @Test
  void aJarWhoseBytesDoNotMatchItsShaIsRefusedAndNotCached() throws Exception {
    String sha = sha256("the real jar".getBytes(StandardCharsets.UTF_8));
    served.put(sha, "something else".getBytes(StandardCharsets.UTF_8));

    assertThatThrownBy(() -> PodBoot.fetch(env(sha)))
        .isInstanceOf(PodBoot.BootException.class)
        .hasMessageContaining("jar " + sha + " fetched from ")
        .hasMessageContaining(
            "has SHA-256 " + sha256("something else".getBytes(StandardCharsets.UTF_8)))
        .hasMessageEndingWith("it was damaged or replaced on the way, and is not run");
    try (var files = Files.list(cache)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void refusesWhatItCannotTrust() {
    String sha = "a".repeat(64);
    assertThatThrownBy(() -> PodBoot.fetch(env(sha)))
        .hasMessageContaining("could not fetch jar " + sha)
        .hasMessageContaining("HTTP 404");
    assertThatThrownBy(() -> PodBoot.fetch(env("A".repeat(64))))
        .hasMessage(
            "SKIFF_CLASSPATH holds '"
                + "A".repeat(64)
                + "', which is not a SHA-256; allowed are 64 lower-case hex digits joined by ','");
    Map<String, String> remote = env(sha);
    remote.put("SKIFF_JAR_URL", "http://10.0.0.5:7734/_skiff/jars/");
    assertThatThrownBy(() -> PodBoot.fetch(remote))
        .hasMessageContaining("plaintext is allowed only to a loopback host");
    Map<String, String> noToken = env(sha);
    noToken.remove("SKIFF_TOKEN");
    assertThatThrownBy(() -> PodBoot.fetch(noToken))
        .hasMessage("SKIFF_TOKEN is not set; a pod must be started by Skiff's Kubernetes backend");
    Map<String, String> badCert = env(sha);
    badCert.put("SKIFF_CONTROL_PLANE_CERT", "not a certificate");
    badCert.put("SKIFF_JAR_URL", "https://127.0.0.1:1/_skiff/jars/");
    assertThatThrownBy(() -> PodBoot.fetch(badCert))
        .hasMessageStartingWith("SKIFF_CONTROL_PLANE_CERT");
  }

  @Test
  void unpacksTheImagesFilesWhereThePodWorks(@TempDir Path image) throws Exception {
    byte[] jar = "jar a".getBytes(StandardCharsets.UTF_8);
    served.put(sha256(jar), jar);
    byte[] files = zip(Map.of("app/", "", "conf/note.txt", "a note", "app/data/x.txt", "x"));
    served.put(sha256(files), files);
    Map<String, String> env = env(sha256(jar));
    env.put("SKIFF_IMAGE_FILES", sha256(files));
    env.put("SKIFF_IMAGE_DIR", image.toString());

    List<Path> jars = PodBoot.fetch(env);

    assertThat(jars).containsExactly(cache.resolve(sha256(jar) + ".jar"));
    assertThat(image.resolve("app")).isDirectory();
    assertThat(image.resolve("conf/note.txt")).hasContent("a note");
    assertThat(image.resolve("app/data/x.txt")).hasContent("x");
    assertThat(authorizations).containsKeys(sha256(jar), sha256(files));
  }

  @Test
  void anArchiveEntryOutsideTheImageDirectoryIsRefused(@TempDir Path dir) throws Exception {
    byte[] files = zip(Map.of("../escaped.txt", "out"));
    served.put(sha256(files), files);
    Map<String, String> env = env(sha256("jar a".getBytes(StandardCharsets.UTF_8)));
    served.put(
        sha256("jar a".getBytes(StandardCharsets.UTF_8)), "jar a".getBytes(StandardCharsets.UTF_8));
    Path image = dir.resolve("image");
    env.put("SKIFF_IMAGE_FILES", sha256(files));
    env.put("SKIFF_IMAGE_DIR", image.toString());

    assertThatThrownBy(() -> PodBoot.fetch(env))
        .isInstanceOf(PodBoot.BootException.class)
        .hasMessageContaining("the entry '../escaped.txt', which would land outside");
    assertThat(dir.resolve("escaped.txt")).doesNotExist();
    env.put("SKIFF_IMAGE_FILES", "not-a-sha");
    assertThatThrownBy(() -> PodBoot.fetch(env))
        .hasMessageStartingWith("SKIFF_IMAGE_FILES holds 'not-a-sha', which is not a SHA-256");
  }

  private static byte[] zip(Map<String, String> entries) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (var e : new TreeMap<>(entries).entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey()));
        zip.write(e.getValue().getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  private Map<String, String> env(String classpath) {
    Map<String, String> env = new HashMap<>();
    env.put("SKIFF_CLASSPATH", classpath);
    env.put("SKIFF_JAR_URL", "http://127.0.0.1:" + server.getAddress().getPort() + "/_skiff/jars/");
    env.put("SKIFF_TOKEN", "tok-1");
    env.put("SKIFF_CACHE_DIR", cache.toString());
    return env;
  }

  private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
