package dev.skiff.boot;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The entrypoint of a Kubernetes pod: {@code java -cp skiff-pod-boot.jar dev.skiff.boot.PodBoot}.
 *
 * <p>It reads {@value #CLASSPATH} (the app's jars as SHA-256 hex digests, in classpath order),
 * fetches each jar missing in {@value #CACHE_DIR} (default {@value #DEFAULT_CACHE_DIR}) from
 * {@value #JAR_URL}{@code <sha256>} with the container's token ({@value #TOKEN}) as a bearer token,
 * into a temporary file whose SHA-256 must be the one asked for before it is moved into place, and
 * then runs {@value #ENTRYPOINT} in this JVM from a class loader over the jars in order (also the
 * thread's context class loader).
 *
 * <p>A pod of a built image also gets {@value #IMAGE_FILES}: the SHA-256 of a zip archive of the
 * image's file tree, fetched and checked the same way and unpacked into {@value #IMAGE_DIR}
 * (regular files and directories only; an entry that would land outside it is refused), where the
 * pod's working directory is.
 *
 * <p>The connection is pinned to the PEM certificate {@value #CERT} (the control plane's own, host
 * name not checked: the certificate is the identity); without one, only a loopback host is dialled,
 * in plaintext (tests). Every failure is told on stderr, naming what failed, and ends the JVM with
 * {@value #EXIT_FAILED}, so the pod fails visibly instead of running something unchecked.
 *
 * <p>Uses the JDK's classes only: it is shipped alone, without the rest of Skiff.
 */
public final class PodBoot {
  /** The jars of the classpath, SHA-256 hex digests joined by {@code ','}, in order. */
  public static final String CLASSPATH = "SKIFF_CLASSPATH";

  /** The base URL of the control plane's jar endpoint, to which a jar's SHA-256 is appended. */
  public static final String JAR_URL = "SKIFF_JAR_URL";

  /** The control plane's PEM certificate, pinned; empty: plaintext, to a loopback host only. */
  public static final String CERT = "SKIFF_CONTROL_PLANE_CERT";

  /** Where fetched jars are kept, as {@code <sha256>.jar}. */
  public static final String CACHE_DIR = "SKIFF_CACHE_DIR";

  /** The container's token (the same variable the container entrypoint reads). */
  public static final String TOKEN = "SKIFF_TOKEN";

  /** The SHA-256 of a zip archive of the image's file tree; unset for an image without one. */
  public static final String IMAGE_FILES = "SKIFF_IMAGE_FILES";

  /** Where the image's file tree is unpacked (required with {@value #IMAGE_FILES}). */
  public static final String IMAGE_DIR = "SKIFF_IMAGE_DIR";

  /** The cache directory when {@value #CACHE_DIR} is not set. */
  public static final String DEFAULT_CACHE_DIR = "/skiff/cache";

  /** The class whose {@code main} runs once the jars are in place. */
  public static final String ENTRYPOINT = "dev.skiff.internal.container.ContainerMain";

  /** The exit code of a pod that could not boot (sysexits' EX_SOFTWARE). */
  public static final int EXIT_FAILED = 70;

  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(10);

  private PodBoot() {}

  /** Boots the pod; never returns normally unless the entrypoint does. */
  public static void main(String[] args) {
    List<Path> jars;
    try {
      jars = fetch(System.getenv());
    } catch (BootException e) {
      System.err.println("skiff pod boot: " + e.getMessage());
      System.exit(EXIT_FAILED);
      return;
    }
    run(jars, args);
  }

  /** A failure to boot, told to people. */
  static final class BootException extends Exception {
    private static final long serialVersionUID = 1L;

    BootException(String message) {
      super(message);
    }

    BootException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Fetches every jar of the classpath the cache lacks and checks it.
   *
   * @return the cached jars, in classpath order
   */
  static List<Path> fetch(Map<String, String> env) throws BootException {
    List<String> shas = classpath(env);
    String files = env.getOrDefault(IMAGE_FILES, "").strip();
    if (!files.isEmpty() && !SHA256.matcher(files).matches()) {
      throw new BootException(
          IMAGE_FILES
              + " holds '"
              + files
              + "', which is not a SHA-256; allowed are 64 lower-case hex digits");
    }
    String base = require(env, JAR_URL);
    String token = require(env, TOKEN);
    Path cache = Path.of(env.getOrDefault(CACHE_DIR, DEFAULT_CACHE_DIR));
    try {
      Files.createDirectories(cache);
    } catch (IOException e) {
      throw new BootException("cannot make the jar cache " + cache + ": " + e, e);
    }
    URI baseUri;
    try {
      baseUri = URI.create(base);
    } catch (IllegalArgumentException e) {
      throw new BootException(JAR_URL + "='" + base + "' is not a URL: " + e.getMessage(), e);
    }
    HttpClient http = null;
    List<Path> jars = new ArrayList<>();
    for (String sha : shas) {
      Path jar = cache.resolve(sha + ".jar");
      if (!Files.isRegularFile(jar)) {
        if (http == null) {
          http = client(baseUri, env.getOrDefault(CERT, ""));
        }
        download(http, URI.create(base + sha), token, sha, jar);
      }
      jars.add(jar);
    }
    if (!files.isEmpty()) {
      Path archive = cache.resolve(files + ".jar");
      if (!Files.isRegularFile(archive)) {
        if (http == null) {
          http = client(baseUri, env.getOrDefault(CERT, ""));
        }
        download(http, URI.create(base + files), token, files, archive);
      }
      unpack(archive, Path.of(require(env, IMAGE_DIR)));
    }
    return jars;
  }

  /** Unpacks the image's file tree from {@code archive} into {@code dir}. */
  static void unpack(Path archive, Path dir) throws BootException {
    Path root = dir.toAbsolutePath().normalize();
    try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(archive))) {
      Files.createDirectories(root);
      for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
        Path target = root.resolve(e.getName()).normalize();
        if (!target.startsWith(root) || target.equals(root) && !e.isDirectory()) {
          throw new BootException(
              "the image's files hold the entry '"
                  + e.getName()
                  + "', which would land outside "
                  + root
                  + "; they are not unpacked");
        }
        if (e.isDirectory()) {
          Files.createDirectories(target);
        } else {
          Files.createDirectories(target.getParent());
          Files.copy(zip, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      throw new BootException(
          "cannot unpack the image's files from " + archive + " into " + root + ": " + e, e);
    }
  }

  private static List<String> classpath(Map<String, String> env) throws BootException {
    String value = require(env, CLASSPATH);
    List<String> shas = new ArrayList<>();
    for (String s : value.split(",", -1)) {
      String sha = s.strip();
      if (!SHA256.matcher(sha).matches()) {
        throw new BootException(
            CLASSPATH
                + " holds '"
                + sha
                + "', which is not a SHA-256; allowed are 64 lower-case hex digits joined by ','");
      }
      shas.add(sha);
    }
    return shas;
  }

  private static String require(Map<String, String> env, String name) throws BootException {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      throw new BootException(
          name + " is not set; a pod must be started by Skiff's Kubernetes backend");
    }
    return value;
  }

  /** A client that trusts exactly {@code pem}, or plaintext to loopback when it is empty. */
  private static HttpClient client(URI base, String pem) throws BootException {
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .connectTimeout(CONNECT_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER);
    if (pem.isBlank()) {
      if (!"http".equals(base.getScheme()) || !isLoopback(base.getHost())) {
        throw new BootException(
            JAR_URL
                + "='"
                + base
                + "' without "
                + CERT
                + ": plaintext is allowed only to a loopback host (http://127.0.0.1:...);"
                + " give the control plane's certificate");
      }
      return b.build();
    }
    if (!"https".equals(base.getScheme())) {
      throw new BootException(
          JAR_URL + "='" + base + "' is not https, but " + CERT + " is set; use https://");
    }
    return b.sslContext(pinned(pem)).build();
  }

  private static boolean isLoopback(String host) {
    if (host == null) {
      return false;
    }
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /**
   * An SSL context that trusts exactly the certificates in {@code pem}: the server's certificate
   * must be one of them. The host name is not checked, since the certificate itself is the control
   * plane's identity (as the SDK pins it); the pod may dial it by any address.
   */
  private static SSLContext pinned(String pem) throws BootException {
    try {
      List<X509Certificate> trusted = new ArrayList<>();
      for (Certificate c :
          CertificateFactory.getInstance("X.509")
              .generateCertificates(
                  new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
        if (c instanceof X509Certificate x) {
          trusted.add(x);
        }
      }
      if (trusted.isEmpty()) {
        throw new BootException(CERT + " holds no PEM certificate");
      }
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, new TrustManager[] {new PinnedTrust(trusted)}, null);
      return ssl;
    } catch (GeneralSecurityException e) {
      throw new BootException(CERT + " is not a PEM X.509 certificate: " + e.getMessage(), e);
    }
  }

  /** Trusts a server whose certificate is one of the pinned ones, and nothing else. */
  private static final class PinnedTrust extends X509ExtendedTrustManager {
    private final List<X509Certificate> pinned;

    PinnedTrust(List<X509Certificate> pinned) {
      this.pinned = List.copyOf(pinned);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      if (chain == null || chain.length == 0 || !pinned.contains(chain[0])) {
        throw new CertificateException("the server's certificate is not the one pinned in " + CERT);
      }
      chain[0].checkValidity();
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw new CertificateException("a pod does not accept connections");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  private static void download(HttpClient http, URI uri, String token, String sha, Path jar)
      throws BootException {
    Path temp;
    try {
      temp = Files.createTempFile(jar.getParent(), sha + "-", ".part");
    } catch (IOException e) {
      throw new BootException("cannot write to the jar cache " + jar.getParent() + ": " + e, e);
    }
    try {
      HttpRequest request =
          HttpRequest.newBuilder(uri)
              .timeout(REQUEST_TIMEOUT)
              .header("Authorization", "Bearer " + token)
              .GET()
              .build();
      HttpResponse<InputStream> response;
      try {
        response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      } catch (IOException e) {
        throw new BootException("could not fetch jar " + sha + " from " + uri + ": " + e, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new BootException("interrupted while fetching jar " + sha, e);
      }
      MessageDigest digest = sha256();
      try (InputStream in = response.body()) {
        if (response.statusCode() != 200) {
          String body = new String(in.readNBytes(2048), StandardCharsets.UTF_8);
          throw new BootException(
              "could not fetch jar "
                  + sha
                  + " from "
                  + uri
                  + ": HTTP "
                  + response.statusCode()
                  + (body.isBlank() ? "" : ": " + body.strip()));
        }
        try (OutputStream out = Files.newOutputStream(temp)) {
          byte[] buffer = new byte[64 * 1024];
          for (int n; (n = in.read(buffer)) > 0; ) {
            digest.update(buffer, 0, n);
            out.write(buffer, 0, n);
          }
        }
      } catch (IOException e) {
        throw new BootException("could not fetch jar " + sha + " from " + uri + ": " + e, e);
      }
      String got = HexFormat.of().formatHex(digest.digest());
      if (!got.equals(sha)) {
        throw new BootException(
            "jar "
                + sha
                + " fetched from "
                + uri
                + " has SHA-256 "
                + got
                + "; it was damaged or replaced on the way, and is not run");
      }
      try {
        Files.move(temp, jar, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, jar, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new BootException("cannot put jar " + sha + " into the cache at " + jar + ": " + e, e);
    } finally {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException e) {
        // Left behind in the cache, which is the pod's own emptyDir.
      }
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
  }

  /** Runs the entrypoint from a class loader over {@code jars}, in this thread. */
  private static void run(List<Path> jars, String[] args) {
    URL[] urls = new URL[jars.size()];
    try {
      for (int i = 0; i < urls.length; i++) {
        urls[i] = jars.get(i).toUri().toURL();
      }
    } catch (IOException e) {
      fail("cannot name a cached jar as a URL: " + e);
      return;
    }
    // The platform class loader as parent: the boot jar's own classes stay out of the app's way.
    URLClassLoader loader =
        new URLClassLoader("skiff-app", urls, ClassLoader.getPlatformClassLoader());
    Thread.currentThread().setContextClassLoader(loader);
    Method main;
    try {
      main = Class.forName(ENTRYPOINT, true, loader).getMethod("main", String[].class);
    } catch (ClassNotFoundException | NoSuchMethodException | LinkageError e) {
      fail(
          "the classpath ("
              + jars.size()
              + " jars) has no usable "
              + ENTRYPOINT
              + ": "
              + e
              + "; the app's classpath must hold the Skiff SDK");
      return;
    }
    try {
      main.invoke(null, (Object) args);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      System.err.println("skiff pod boot: " + ENTRYPOINT + " failed: " + cause);
      cause.printStackTrace();
      System.exit(EXIT_FAILED);
    } catch (IllegalAccessException e) {
      fail("cannot call " + ENTRYPOINT + ".main: " + e);
    }
  }

  private static void fail(String message) {
    System.err.println("skiff pod boot: " + message);
    System.exit(EXIT_FAILED);
  }
}
